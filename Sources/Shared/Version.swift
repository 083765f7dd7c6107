/// The PrunerZero release this build belongs to; printed by `--version` and sent in worker hellos.
package let prunerZeroVersion = "0.1.0"

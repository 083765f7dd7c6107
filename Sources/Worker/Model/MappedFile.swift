// MappedFile: a whole file mapped read-only, and pages handed back after a read. The one place checkpoint readers
// (SafeTensorsFile, GGUFFile) call open/fstat/mmap/madvise/munmap; each turns `MappedFileError` into its own error.
import Foundation

enum MappedFileError: Error {
    case cannotOpen(reason: String)
    /// A zero-byte file, which mmap refuses.
    case empty
}

package final class MappedFile {
    package let base: UnsafeRawPointer
    package let size: Int

    package init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw MappedFileError.cannotOpen(reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw MappedFileError.cannotOpen(reason: String(cString: strerror(errno))) }
        size = Int(st.st_size)
        guard size > 0 else { throw MappedFileError.empty }
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw MappedFileError.cannotOpen(reason: "mmap: " + String(cString: strerror(errno)))
        }
        base = UnsafeRawPointer(map)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }

    /// Drops the mapped pages of bytes offset..<offset+bytes from this process's resident set. Every read widens
    /// into a buffer the caller owns, so the map is a window onto the file, not a cache: without this, a pass over
    /// a 13.5 GB bf16 checkpoint would leave all 13.5 GB resident (file-backed, but counted by RSS and by a job's
    /// memory cgroup). The pages stay in the page cache; touching them again re-reads them from there. Pages at the
    /// ends may hold a neighbouring tensor's bytes; dropping them is harmless for the same reason.
    package func release(offset: Int, bytes: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = offset / page * page
        let end = min(size, (offset + bytes + page - 1) / page * page)
        guard end > start else { return }
        madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }
}

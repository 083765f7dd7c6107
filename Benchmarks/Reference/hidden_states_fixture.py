"""Per-block hidden states of the Hugging Face LLaMA fixtures, from transformers, for the engine's block-by-block test.

For each fixture in ../shared/fixtures/hf-llama (tiny, tiny-tied, sharded, bf16), runs tokens.bin (uint32 ids) as
one window with `output_hidden_states=True` and writes, per decoder block's output (the residual stream after
block i, before the final norm), its sum, its absolute sum and the first 8 values of the first and last rows.
transformers' hidden_states[i + 1] is block i's output for i < L − 1; its last entry has the final norm applied, so
block L − 1's raw output is taken with a forward hook on that layer (and the hooks are checked against
hidden_states where both exist). Computed in float64 from the float32 model's outputs. Needs a Python with torch and
transformers (outside the project, e.g. a venv).

    python3 Benchmarks/Reference/hidden_states_fixture.py ../shared/fixtures/hf-llama \\
        Tests/Fixtures/hidden-states.json
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
from transformers import LlamaForCausalLM


def block_summaries(directory: Path):
    model = LlamaForCausalLM.from_pretrained(directory, torch_dtype=torch.float32).eval()
    ids = np.fromfile(directory / "tokens.bin", dtype="<u4").astype(np.int64)
    outputs = {}
    hooks = [layer.register_forward_hook(lambda _m, _i, out, i=i: outputs.__setitem__(i, out[0] if isinstance(out, tuple) else out))
             for i, layer in enumerate(model.model.layers)]
    with torch.no_grad():
        result = model(torch.tensor(ids)[None, :], output_hidden_states=True)
    for h in hooks:
        h.remove()
    layers = len(model.model.layers)
    blocks = []
    for i in range(layers):
        x = outputs[i][0].double().numpy()        # (T, C)
        if i < layers - 1:
            assert np.array_equal(x, result.hidden_states[i + 1][0].double().numpy()), f"{directory}: block {i}"
        blocks.append({"sum": float(x.sum()), "abs_sum": float(np.abs(x).sum()),
                       "first_row_first8": x[0, :8].tolist(), "last_row_first8": x[-1, :8].tolist()})
    return {"tokens": int(ids.size), "blocks": blocks}


def main():
    root, out = Path(sys.argv[1]), Path(sys.argv[2])
    fixtures = {name: block_summaries(root / name) for name in ["tiny", "tiny-tied", "sharded", "bf16"]}
    out.write_text(json.dumps(fixtures, indent=1) + "\n")


if __name__ == "__main__":
    main()

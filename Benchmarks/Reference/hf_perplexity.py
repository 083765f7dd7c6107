"""Perplexity of a Hugging Face folder under transformers, as ../shared/fixtures/smollm2-135m computed it.

    python hf_perplexity.py MODEL_DIR TEXT_FILE SEQLEN WINDOWS   → prints the perplexity

The text is read with universal newlines and tokenized by the folder's tokenizer (add_special_tokens=True), cut
into consecutive windows; perplexity = exp(mean over windows of each window's mean token cross-entropy). Needs torch
and transformers (a venv outside the repository); used by the convert test when PRUNERZERO_PYTHON points at one.
"""
import math
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

model_dir, text_file, seqlen, windows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
tok = AutoTokenizer.from_pretrained(model_dir)
model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32).eval()
ids = tok(open(text_file).read(), add_special_tokens=True)["input_ids"]
nlls = []
with torch.no_grad():
    for w in range(windows):
        x = torch.tensor([ids[w * seqlen:(w + 1) * seqlen]])
        logits = model(x).logits[0, :-1].float()
        nlls.append(torch.nn.functional.cross_entropy(logits, x[0, 1:]).item())
print(math.exp(sum(nlls) / len(nlls)))

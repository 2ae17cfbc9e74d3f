"""`ohlora classifiers compare`: what fine-tuning the top e5 layers buys the ethics classifier over the
linear head on frozen embeddings, measured by a self-contained probe."""
from __future__ import annotations

import copy

import numpy as np
import torch

from dialogue.classifiers import ETHICS_LABELS
from dialogue.evaluation.metrics import macro_f1
from dialogue.evaluation.splits import DATA_DIR, read_jsonl


def measure_finetuning(encoder, top_layers: int = 2, epochs: int = 8, lr: float = 5e-5, seed: int = 0,
                       progress=print) -> dict:
    """Ethics macro-F1 on val/test when the top `top_layers` BERT layers are fine-tuned with a linear head.

    The lower layers stay frozen, so their outputs are computed once; the embeddings (96 M of the 118 M
    parameters) never move. Compared with `dialogue.training.heads.train_head` (all frozen), this says what
    fine-tuning buys.
    """
    torch.manual_seed(seed)
    rows = read_jsonl(DATA_DIR / "ethics.jsonl")
    y = torch.tensor([ETHICS_LABELS.index(r["label"]) for r in rows])
    bert = encoder.model[0].auto_model
    tok = encoder.model.tokenizer  # padding="max_length": the transformers tokenizer
    n_layers = len(bert.encoder.layer)
    hidden, masks = [], []
    with torch.inference_mode():
        for i in range(0, len(rows), 64):
            batch = tok(["query: " + r["text"] for r in rows[i:i + 64]], padding="max_length", truncation=True,
                        max_length=48, return_tensors="pt")
            out = bert(**batch, output_hidden_states=True)
            hidden.append(out.hidden_states[n_layers - top_layers].clone())
            masks.append(batch["attention_mask"])
            progress(f"fine-tune probe: frozen layers {i + len(rows[i:i + 64])}/{len(rows)}")
    hidden, masks = torch.cat(hidden), torch.cat(masks)
    layers = torch.nn.ModuleList([copy.deepcopy(bert.encoder.layer[n_layers - top_layers + k]) for k in range(top_layers)])
    head = torch.nn.Linear(hidden.shape[-1], len(ETHICS_LABELS))
    params = list(layers.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW([{"params": list(layers.parameters()), "lr": lr}, {"params": list(head.parameters()), "lr": 1e-3}])
    ext = lambda m: (1.0 - m[:, None, None, :].float()) * torch.finfo(torch.float32).min

    def forward(idx, train):
        layers.train(train)
        h = hidden[idx]
        for layer in layers:
            h = layer(h, attention_mask=ext(masks[idx]))
            h = h[0] if isinstance(h, tuple) else h
        m = masks[idx].unsqueeze(-1).float()
        pooled = (h * m).sum(1) / m.sum(1)
        return head(torch.nn.functional.normalize(pooled, dim=-1) * 10)

    split = np.array([r["split"] for r in rows])
    tr = torch.from_numpy(np.where(split == "train")[0])
    counts = torch.bincount(y[tr], minlength=len(ETHICS_LABELS)).float()
    weight = counts.sum() / counts.clamp(min=1) / len(ETHICS_LABELS)
    result = {"top_layers": top_layers, "epochs": epochs, "trainable_parameters": sum(p.numel() for p in params)}
    for epoch in range(epochs):
        perm = tr[torch.randperm(len(tr))]
        for i in range(0, len(perm), 32):
            idx = perm[i:i + 32]
            loss = torch.nn.functional.cross_entropy(forward(idx, True), y[idx], weight=weight)
            opt.zero_grad(); loss.backward(); opt.step()
        with torch.no_grad():
            for name in ("val", "test"):
                idx = torch.from_numpy(np.where(split == name)[0])
                pred = forward(idx, False).argmax(1).numpy()
                result[f"{name}_macro_f1_epoch{epoch + 1}"] = macro_f1(y[idx].numpy(), pred, len(ETHICS_LABELS))
        progress(f"fine-tune probe: epoch {epoch + 1}: val {result[f'val_macro_f1_epoch{epoch + 1}']:.3f} "
                 f"test {result[f'test_macro_f1_epoch{epoch + 1}']:.3f}")
    best = max(range(1, epochs + 1), key=lambda e: result[f"val_macro_f1_epoch{e}"])
    result["best_epoch_on_val"] = best
    result["val_macro_f1"] = result[f"val_macro_f1_epoch{best}"]
    result["test_macro_f1"] = result[f"test_macro_f1_epoch{best}"]
    return result

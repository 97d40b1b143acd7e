"""A small BERT-style sentence classifier with random weights, for token-attribution examples.

Built with Hugging Face ``transformers`` from a config (no download: a word-level vocabulary of
its own, two encoder layers, hidden size 32), so examples, tests and benchmarks can run the
calls people make on real language models: :class:`numeric.LayerIntegratedGradients` through
the embedding layer against a [PAD]-token baseline, as in Captum's BERT tutorial (Kokhlikyan
et al. (2020); Devlin et al. (2019) for BERT). The weights are random, so the attributions
show the method, not a trained model's reasons. ``transformers`` is needed only here
(``pip install igverify[transformers]``); ``import numeric`` does not load it.

>>> import torch
>>> from numeric import LayerIntegratedGradients
>>> model = TinyBert()
>>> ids, mask = model.encode("the film was wonderful")
>>> lig = LayerIntegratedGradients(model, model.embeddings)
>>> attr, delta = lig.attribute(ids, model.pad_baseline(ids), target=1,
...                             additional_forward_args=mask, return_convergence_delta=True)
>>> attr.shape, bool(delta.abs().max() < 1e-3)      # (1, [CLS] + 4 words + [SEP], hidden)
(torch.Size([1, 6, 32]), True)
"""

from __future__ import annotations

from ._torch import torch
from .errors import ArgumentError

__all__ = ["WORDS", "TinyBert"]

#: the vocabulary after the special tokens [PAD], [UNK], [CLS], [SEP]
WORDS = ("the a film movie story plot acting actors was is were it this and but not very "
         "wonderful great good fine boring bad awful dull fun loved hated liked brilliant "
         "terrible i we they").split()
SPECIAL = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")


class TinyBert(torch.nn.Module):
    """``BertForSequenceClassification`` (two labels) from a small config, random weights
    drawn under ``seed``; ``forward(input_ids, attention_mask=None)`` returns the logits.

    ``embeddings`` is the model's embedding layer (word + position + token type, LayerNorm),
    the layer Captum's BERT tutorial attributes through; ``gelu(k)`` is the GELU of encoder
    layer k's intermediate (feed-forward) block; ``forward_embeds`` takes the word embeddings
    instead of the ids (a float path for conductance). ``dtype`` float64 by default, so that
    comparisons with other implementations are not limited by float32.
    """

    def __init__(self, seed: int = 0, hidden: int = 32, layers: int = 2, heads: int = 2,
                 dtype: torch.dtype = torch.float64, init_range: float = 0.2) -> None:
        super().__init__()
        try:
            from transformers import BertConfig, BertForSequenceClassification
        except ImportError:
            raise ArgumentError("TinyBert needs Hugging Face transformers: "
                                "pip install 'igverify[transformers]'") from None
        self.vocab = {w: i for i, w in enumerate(SPECIAL + tuple(WORDS))}
        config = BertConfig(vocab_size=len(self.vocab), hidden_size=hidden,
                            num_hidden_layers=layers, num_attention_heads=heads,
                            intermediate_size=2 * hidden, max_position_embeddings=64,
                            num_labels=2, hidden_act="gelu", initializer_range=init_range,
                            pad_token_id=0, attn_implementation="eager")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = BertForSequenceClassification(config).eval().to(dtype)
        self.embeddings = self.model.bert.embeddings

    def gelu(self, k: int) -> torch.nn.Module:
        """The GELU module of encoder layer ``k``'s feed-forward block."""
        return self.model.bert.encoder.layer[k].intermediate.intermediate_act_fn

    def encode(self, sentence: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(input ids (1, L), attention mask (1, L)) of [CLS] words [SEP]; unknown words
        become [UNK].

        >>> TinyBert().encode("the plot")[0].tolist()
        [[2, 4, 9, 3]]
        """
        words = sentence.lower().replace(".", " ").replace(",", " ").split()
        ids = [self.vocab["[CLS]"], *(self.vocab.get(w, 1) for w in words), self.vocab["[SEP]"]]
        return torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long)

    def tokens(self, ids: torch.Tensor) -> list[str]:
        """The tokens of one row of ids."""
        names = {i: w for w, i in self.vocab.items()}
        return [names[int(i)] for i in ids.reshape(-1)]

    def pad_baseline(self, ids: torch.Tensor) -> torch.Tensor:
        """The [PAD]-token baseline of Captum's tutorial: [CLS] and [SEP] kept, every other
        token [PAD]."""
        keep = (ids == self.vocab["[CLS]"]) | (ids == self.vocab["[SEP]"])
        return torch.where(keep, ids, torch.full_like(ids, self.vocab["[PAD]"]))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None
                ) -> torch.Tensor:  # noqa: D102
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits

    def word_embeddings(self, ids: torch.Tensor) -> torch.Tensor:
        """The word embeddings of ``ids`` (the input ``forward_embeds`` takes)."""
        return self.embeddings.word_embeddings(ids).detach()

    def forward_embeds(self, embeds: torch.Tensor, attention_mask: torch.Tensor | None = None
                       ) -> torch.Tensor:
        """The logits from word embeddings (N, L, hidden) instead of ids."""
        return self.model(inputs_embeds=embeds, attention_mask=attention_mask).logits

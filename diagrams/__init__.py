"""The book's diagrams, drawn by code and embedded in the chapter notebooks.

Each diagram is a module of this package that defines `NOTEBOOK` (where it goes),
`AFTER` (text of the cell it follows), `ALT` (a description for screen readers),
`CAPTION` (what to look at) and `draw()`, which returns a `diagrams.draw.Canvas`.
`python -m diagrams` redraws them all and writes each into its notebook as a Markdown
cell holding the PNG as a data URI, the one form that shows on the site, in JupyterLab
and in Colab alike. See `diagrams/README.md`.
"""

# In the order of the book.
NAMES = [
    "mlp_layer",
    "mlp_network",
    "backprop_graph",
    "residual_block",
    "conv_channels",
    "conv_stride_padding",
    "max_pooling",
    "rnn_unrolled",
    "stacked_birnn",
    "lstm_cell",
    "gru_cell",
    "bptt",
    "truncated_bptt",
    "seq2seq",
    "beam_search",
    "embedding_bag",
    "qkv_attention",
    "multi_head_attention",
    "causal_mask",
    "padding_mask",
    "seq2seq_attention",
    "transformer_block",
    "norm_placement",
    "encoder_decoder_transformer",
    "autoencoder",
    "vae",
    "reparameterisation",
    "cvae",
]

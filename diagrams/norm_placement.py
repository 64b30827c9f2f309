"""The encoder block built by hand: where LayerNorm and dropout sit, pre and post."""

from diagrams import transformer_block
from diagrams.draw import Canvas

NOTEBOOK = "chapters/05_attention_transformers/04_transformer_block.ipynb"
AFTER = "### 2.3 The block"
ALT = "Two transformer blocks side by side. Pre-norm, norm_first=True: LayerNorm, "
ALT += "self-attention, add; LayerNorm, MLP, add. Post-norm, norm_first=False: "
ALT += "self-attention, add, LayerNorm; MLP, add, LayerNorm"
CAPTION = (
    "**The two blocks that `EncoderBlock` builds.** Both have the same sublayers and "
    "the same parameters; only the place of the two LayerNorms differs. Follow the "
    "purple residual path from $x$ to the output. In the pre-norm block (left) it "
    "meets nothing but additions, so the block's input reaches its output unchanged "
    "and the gradient flows back along an identity path. In the post-norm block "
    "(right) the path runs through both LayerNorms, which rescale the sum at every "
    "sublayer. Dropout (not drawn) acts on the attention weights, inside the MLP and "
    "on each sublayer's output just before the addition. The attention is masked only "
    "when `forward` is given a mask. Section 3 follows the residual path through a "
    "deep stack of these blocks."
)


def draw() -> Canvas:
    return transformer_block.draw(("pre-norm: norm_first=True", "post-norm: norm_first=False"))

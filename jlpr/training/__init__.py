"""Training the default components.

The default recipe of ``jlpr train classifiers`` is defined here, without importing torch, so
that the command line can show it in ``--help`` cheaply. On the 2-core CPU the default
weights are trained on, generating a crop costs ~10 ms of one core and a training step ~3 ms
per sample for all five nets, so the recipe below takes about 6 minutes of data generation
and 35-50 minutes of training (see :mod:`jlpr.training.classifiers`).
"""

DEFAULT_SAMPLES = 64_000
"""Training crops generated once and re-used every epoch (about 6.3 GB of uint8 cache)."""
DEFAULT_VAL_SAMPLES = 3_000
"""Validation crops (other seeds): per-epoch accuracy, then temperature calibration."""
DEFAULT_PLATE_WIDTH = (40.0, 320.0)
"""Frontal plate widths (pixels, drawn log-uniformly) of the training crops. The generator's
own range, 50-600 px, spends a quarter of the crops above 320 px, where plates are already
photographed at 320 px (``PlateSampleConfig.max_working_width``) and read almost perfectly;
this range gives plates under 100 px 44 % of the crops instead of 28 % (docs/experiments.md)."""
DEFAULT_STROKE_JITTER = 0.5
"""Share of training crops whose ink is grown or thinned by up to one pixel of the 256 px
crop (``jlpr.training.classifiers.stroke_weight``). Real glyphs come lighter or heavier than
the fonts drawn; with it, two seeds read more fields of the real-dev plate and equal
synthetic figures (docs/experiments.md)."""
DEFAULT_VERTICAL_BLUR = 0.0
"""Share of training crops blurred up and down only (by a Gaussian of up to 3 px of the 256 px
crop; ``jlpr.training.classifiers.vertical_blur``). Off: at 0.5 one seed read more of the
real-dev plate and the other less, synthetic figures equal (docs/experiments.md)."""
DEFAULT_DESATURATE = 0.0
"""Share of training crops whose colours are pulled towards grey (by 0-100 %) for the text
nets; the scheme net always sees the colours (``jlpr.training.classifiers.desaturate``)."""
DEFAULT_RANDOM_FILTER: tuple[tuple[str, float], ...] = ()
"""Fields whose net sees a share of its inputs through a random filter (field, share):
``jlpr.training.classifiers.random_filter``. None by default."""
DEFAULT_ERASE: tuple[tuple[str, float], ...] = (
    ("kana", 0.5),
    ("office", 0.5),
    ("classification", 0.5),
)
"""Fields whose net sees a share of its inputs with a patch painted over (field, share):
``jlpr.training.classifiers.erase``. The kana net, half its inputs: it then reads the
real-dev kana, lettered without the stroke every font draws; the region-name and
classification nets too: more real-dev frames read (21 against 9 in a clean A/B), 0.2-1.5
points fewer synthetic plates (docs/experiments.md, "Random erasing for the top-row nets")."""
DEFAULT_ROTATE: tuple[tuple[str, float], ...] = ()
"""Fields whose net sees its inputs turned by up to this many degrees either way (field,
degrees): ``jlpr.training.classifiers.rotate``. None by default."""
MAX_ROTATE = 45.0
"""Largest angle ``--rotate`` takes, in degrees."""
DEFAULT_EPOCHS = 10
"""Passes over the training crops of every field not in :data:`DEFAULT_FIELD_EPOCHS`."""
DEFAULT_FIELD_EPOCHS: tuple[tuple[str, int], ...] = (
    ("office", 13),
    ("classification", 13),
    ("designation", 6),
    ("scheme", 6),
)
"""Fields whose nets train for other than :data:`DEFAULT_EPOCHS` passes (field, passes): the
top-row nets were still improving at 10 passes, the designation and scheme nets level from
about 6; in one run this costs about what 10 passes of all five cost (docs/experiments.md)."""
HIDDEN_CHOICES = ("drawn", "unreadable")
"""How a text field an occluder hides is labelled (``--hidden``): with the text drawn under
the occluder, or as unreadable (``jlpr.training.data.UNLABELLED``, trained towards a uniform
output)."""
DEFAULT_HIDDEN = "drawn"
"""The shipped nets were trained so. ``unreadable`` read 22 fewer of 208 hidden fields on
occluded held-out crops in one controlled draw, and is for the next retraining
(docs/experiments.md, "hidden fields labelled unreadable")."""

"""The synthetic demo borough and synthetic data factories for benchmarks.

Kept light on purpose: loading the demo only needs :data:`COUNCIL`, not the generator
(which imports scikit-learn, ~3 s).
"""

#: The demo council's name, as written in every synthetic spend file.
COUNCIL = "Demo Borough Council (synthetic)"
#: What the generator writes into ``expected.json`` to claim the files as its own.
GENERATOR = "impact.synthetic.borough"

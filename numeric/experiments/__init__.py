"""Experiment drivers built on numeric/ (kept out of the library modules).

:mod:`numeric.experiments.digits` trains the networks of Lundstrom, Huang & Razaviyayn (2022),
App. M, adapted to scikit-learn's 8x8 digits (a tanh network and its ReLU twin), reproducibly
and with a cache; :mod:`numeric.experiments.prune` runs their pruning experiments (sec. 7.1,
Fig. 1-2; App. L.2, Fig. 9) and checks each of their qualitative claims;
:mod:`numeric.experiments.figures` draws them. Run them with ``python -m numeric prune``.
"""

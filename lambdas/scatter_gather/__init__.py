"""Scatter-gather Lambda code: one deployable asset for the prepare, worker and aggregate
functions. Handlers live in ``handlers/`` and stay thin; the logic is plain functions."""

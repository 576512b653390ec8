"""Cost model and the side-by-side benchmark of this design against a thread-pool orchestrator."""

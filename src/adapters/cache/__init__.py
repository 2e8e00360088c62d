"""The Cache port over an in-process layer (L1), Redis or Dragonfly (L2), and both (layered)."""

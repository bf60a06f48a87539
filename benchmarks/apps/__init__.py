"""Streamlit scripts the benchmarks serve (each also importable for its map builder)."""

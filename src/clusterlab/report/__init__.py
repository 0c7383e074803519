"""Figures (matplotlib, written as PNG) and, later, the self-contained HTML report."""

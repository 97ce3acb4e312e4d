"""Renderings of runs: text (repr, failure sections), run records (JSON), self-contained HTML pages.

report.text is imported by Run.__repr__ and stays light; report.html / report.timeline import
matplotlib only when a page is drawn.
"""

"""`python -m knowledge page` writes the review page of every answer card (knowledge/page.py);
`python -m knowledge stale --days N` lists the cards due for re-checking (knowledge/stale.py)."""

from knowledge.page import main

main()

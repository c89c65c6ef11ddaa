"""`python -m knowledge page`: write the review page of every answer card (see knowledge/page.py)."""

from knowledge.page import main

main()

"""From the run matrix to the book: plan (what to run, cache keys), execute (papermill), book (pages, build)."""

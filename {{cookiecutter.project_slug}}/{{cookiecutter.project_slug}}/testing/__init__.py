"""Query budgets: record the SQL a block of code runs and hold it to a budget.

`queries` records and groups SQL, `budgets` turns recordings into assertions with readable
failures, `coverage` finds every list page and generates a test for each, and `pytest_plugin`
exposes it all as fixtures (see docs/query-budgets.md). The package has no test-only imports at
module level except in `pytest_plugin`, so development middleware can use the recorder too.
"""

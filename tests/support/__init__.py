"""What the tests and benches share: stores, strategies, servers, official totals."""

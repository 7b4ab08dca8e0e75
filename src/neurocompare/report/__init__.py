"""The HTML report: figures and tables over the results and the statistics."""

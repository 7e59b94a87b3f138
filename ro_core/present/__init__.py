"""Presentation without a UI: charts, number formatting, CSV export, summary sentences, the HTML report."""

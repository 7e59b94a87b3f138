"""Forms and blocks that several pages share.

- ``test_plan_form``: the one form that plans an A/B test (Experiments page, Experiment log).
- ``result_form``: the one form that enters a test's result (Experiments page, Experiment log).
"""

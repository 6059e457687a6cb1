"""factor(time) terms are told by their column and level, not by formulaic's spelling."""

from assistant.session import Session


def test_factor_of_a_numeric_column_reads_as_levels_of_that_column():
    session = Session(sample="pain_trial")
    answer = session.ask("LMM: pain_score ~ factor(time) + treatment + (1 | patient)")
    assert answer.ok
    text = answer.text()
    assert "At the reference point (time = 0 and treatment = control)" in text
    fit = session.models[1].fit
    six = next(fe for fe in fit.fixed_effects if fe.term == "factor(time)[T.6]")
    assert six.estimate < 0
    assert f"was {abs(six.estimate):.2f} lower for time 6 vs 0" in text
    assert "factor(time) =" not in text

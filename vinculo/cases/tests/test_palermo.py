"""The Palermo completeness check (pure), including properties over arbitrary inputs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from vinculo.cases import palermo

ACTS = sorted(palermo.TIP_ACTS | {"PROCURING_ILLEGAL_ENTRY", "DOCUMENT_FRAUD", "NK"})
MEANS = ["THREAT", "DECEPTION", "ABUSE_OF_POSITION_OF_VULNERABILITY", "NOT_REQUIRED_CHILD", "NA", "NK"]
PURPOSES = ["SEXUAL_EXPLOITATION", "FORCED_LABOUR_SERVICES", "NA", "NK"]


def test_an_adult_case_needs_act_means_and_purpose() -> None:
    result = palermo.check(acts={"RECRUITMENT"}, means={"DECEPTION"}, purposes={"SEXUAL_EXPLOITATION"}, is_child=False)
    assert result.is_complete
    gap = palermo.check(acts={"RECRUITMENT"}, means=set(), purposes={"SEXUAL_EXPLOITATION"}, is_child=False)
    assert gap.missing == ("means",)


def test_a_child_case_needs_no_means() -> None:
    result = palermo.check(acts={"HARBOURING"}, means=set(), purposes={"FORCED_BEGGING"}, is_child=True)
    assert result.is_complete


def test_unknown_and_smuggling_acts_do_not_count() -> None:
    result = palermo.check(
        acts={"PROCURING_ILLEGAL_ENTRY", "NK"}, means={"NK", "NOT_REQUIRED_CHILD"}, purposes={"NA"}, is_child=False
    )
    assert result.missing == ("act", "means", "purpose")


@given(
    acts=st.sets(st.sampled_from(ACTS)),
    means=st.sets(st.sampled_from(MEANS)),
    purposes=st.sets(st.sampled_from(PURPOSES)),
    is_child=st.booleans(),
)
def test_properties(acts: set[str], means: set[str], purposes: set[str], is_child: bool) -> None:
    result = palermo.check(acts=acts, means=means, purposes=purposes, is_child=is_child)
    # Complete exactly when nothing is missing; a child's check never asks for means.
    assert result.is_complete == (not result.missing)
    if is_child:
        assert "means" not in result.missing
    # Adding facts never makes a file less complete.
    more = palermo.check(
        acts=acts | {"RECRUITMENT"}, means=means | {"THREAT"}, purposes=purposes | {"FORCED_BEGGING"}, is_child=is_child
    )
    assert more.is_complete
    # Being a child never makes a file less complete.
    assert set(palermo.check(acts=acts, means=means, purposes=purposes, is_child=True).missing) <= set(result.missing)

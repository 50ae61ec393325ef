"""Scheme 17 on the default synthetic data: the England run reproduces the Menu's figures; hubs add up to England."""
from __future__ import annotations

import pytest

from ivanalysis.geography import load_geography
from ivanalysis.schemes.registry import analyse

pytestmark = pytest.mark.integration


def test_england_reproduces_the_menus_spinal_figures(default_data):
    r = analyse("spinal_pathway", "ENG", default_data)
    # Menu ch. 17: about 10,000 adult patients a year have elective spinal surgery, at 35 spinal centres
    assert r.kpi("Elective spinal operations").value == pytest.approx(10_000, rel=0.03)
    assert len(r.measure.funnel.data) == 35
    # about £200m a year on adult specialised spinal surgery
    assert r.kpi("Spend on elective spinal surgery").value == pytest.approx(200e6, rel=0.03)
    # the savings calculator: about £50m nationally before the pathway's cost (moderate, £0.89 a head), £1 a head
    # at most; net of 15 networks at £176,425.58 a year
    gross = r.scenario_table.loc["Gross saving (calculator)"]
    assert gross["moderate"] == pytest.approx(50e6, rel=0.01)
    assert gross["high"] == pytest.approx(load_geography().england.population * 1.0)
    cost = r.scenario_table.loc["Pathway cost (networks' share)", "moderate"]
    assert cost == pytest.approx(15 * 176_425.58)
    net = r.opportunity.components[0].net  # a population formula, mostly CCGs': beside the headline
    assert net.moderate == pytest.approx(gross["moderate"] - cost)
    assert net.low < net.moderate < net.high
    # demand grows: more referrals each year
    years = r.tables["years"].frame.set_index("Financial year")["Referrals"]
    assert years.is_monotonic_increasing


def test_every_hub_runs_and_centres_share_its_saving(default_data):
    hubs = [analyse("spinal_pathway", h.code, default_data) for h in load_geography().hubs()]
    # the centres' shares of the saving add up to each hub's headline
    for h in hubs:
        assert h.tables["providers"].frame["Saving (moderate)"].sum() == pytest.approx(
            h.opportunity.components[0].net.moderate)
    # hubs differ: conversion is not the same everywhere
    rates = [h.kpi("Conversion from outpatient assessment to surgery").value for h in hubs]
    assert max(rates) - min(rates) > 0.05

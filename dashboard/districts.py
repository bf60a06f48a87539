"""The districts of a dataset as the live page looks cases up in them, built once per dataset."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard.sidebar import load_cached
from geodata.live import DistrictIndex, district_index

__all__ = ["DistrictLookup", "district_lookup"]


@dataclass(frozen=True)
class DistrictLookup:
    """A dataset's districts: the spatial index, and their names in each language."""

    index: DistrictIndex
    names_zh: dict[str, str]
    names_en: dict[str, str]

    def names(self, lang: str) -> dict[str, str]:
        """District id -> name to show (``name_en`` in English where there is one)."""
        return self.names_zh if lang == "zh_CN" else self.names_en


@st.cache_resource(show_spinner=False, max_entries=8)
def district_lookup(source: str) -> DistrictLookup:
    """The districts of the dataset opened from ``source``."""
    areas = load_cached(source).dataset.areas
    index = district_index(areas)
    chosen = areas[areas["area_id"].isin(index.ids)]
    zh = dict(zip(chosen["area_id"], chosen["name"].astype(str), strict=True))
    en = dict(zh)
    if "name_en" in chosen.columns:
        for area_id, name in zip(chosen["area_id"], chosen["name_en"], strict=True):
            if isinstance(name, str) and name.strip():
                en[area_id] = name
    return DistrictLookup(index, zh, en)

"""The report's city-wide figures the demo is calibrated to, and their share for a part of it."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COMMUNITIES", "Totals"]

COMMUNITIES = 2_019
"""Communities and villages (rank-5 units) of the ten counties in the source."""


@dataclass(frozen=True)
class Totals:
    """City-wide totals of the demo (the 2008 report's figures where it gives them).

    Attributes
    ----------
    population
        Residents of all communities and villages (about; synthetic).
    vulnerable_households
        Vulnerable households (特困户), exactly: 23,119 in the report.
    stations
        Service stations, one per community and village plus institutions: 2,401.
    staff
        Full- and part-time station staff, exactly: 4,683.
    service_points
        Points of the five-tier network: 3,096.
    """

    population: int = 7_500_000
    vulnerable_households: int = 23_119
    stations: int = 2_401
    staff: int = 4_683
    service_points: int = 3_096

    def scaled(self, communities: int) -> Totals:
        """The totals for a part of the city with ``communities`` communities and villages."""
        if communities == COMMUNITIES:
            return self
        share = communities / COMMUNITIES
        return Totals(*(round(v * share) for v in (
            self.population, self.vulnerable_households, self.stations, self.staff,
            self.service_points)))  # fmt: skip

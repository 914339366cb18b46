"""Tonight's absences as the league's injury report had them at 5:30 PM ET (the ``report`` scenario).

The report is published through the day; the scenario knows what a bettor knows at 5:30 PM ET: for
each team-game, the statuses of the last publication at or before ``min(5:30 PM, tip-off - 1
minute)`` of the game's date that lists that date's games (an afternoon game: the last one before its
tip-off). OUT and DOUBTFUL are out (93-98 % of them end on the final inactive list); QUESTIONABLE,
PROBABLE, AVAILABLE and not listed are taken as dressed. A team the chosen publication says is NOT
YET SUBMITTED takes its latest earlier publication of that game, or nobody out; so does a game no
publication lists before its cutoff. A game day no publication lists at all (the seasons before the
league's reports were kept) is not in the reports' era: its absences come from the inactive lists,
as the ``inactive`` scenario reads them.

Nothing later than the cutoff is read: not the 6:30 PM publication, not the final inactive list.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlflow_nbaprops.data import schema

#: The publication the scenario reads: 5:30 PM ET (minutes after midnight).
CUTOFF_MINUTES = 17 * 60 + 30
NOT_SUBMITTED = schema.NOT_SUBMITTED


class ReportStatuses:
    """The publication each team-game of ``games`` (``GAME_DATE``, ``TEAM``) reads (chosen once), and
    who it rules out of any (team-game, player) pairs asked about."""

    def __init__(self, games: pd.DataFrame, reports: pd.DataFrame | None) -> None:
        self.era = np.zeros(len(games), dtype=bool)
        self.chosen = None
        if reports is None or len(reports) == 0 or len(games) == 0:
            return
        self.chosen = chosen_publications(games, reports)
        self.era = self.chosen["ERA"].to_numpy()
        rows = reports[reports["STATUS"].isin(schema.RULED_OUT_STATUSES) & reports["PLAYER_ID"].notna()]
        self.listed = pd.MultiIndex.from_arrays([
            pd.to_datetime(rows["REPORT_TIME"]).to_numpy().astype("datetime64[ns]"),
            pd.to_datetime(rows["GAME_DATE"]).to_numpy().astype("datetime64[ns]"),
            rows["TEAM"].to_numpy(object), rows["PLAYER_ID"].astype("int64").to_numpy()])

    def ruled_out(self, pair_game: np.ndarray, pair_player: np.ndarray) -> np.ndarray:
        """Per pair: whether his team-game's publication has him OUT or DOUBTFUL."""
        if self.chosen is None:
            return np.zeros(len(pair_game), dtype=bool)
        at = self.chosen.iloc[pair_game]
        pairs = pd.MultiIndex.from_arrays([at["REPORT_TIME"].to_numpy().astype("datetime64[ns]"),
                                           at["GAME_DATE"].to_numpy().astype("datetime64[ns]"),
                                           at["TEAM"].to_numpy(object), np.asarray(pair_player, dtype=np.int64)])
        return pairs.isin(self.listed) & self.era[pair_game]


def chosen_publications(games: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """Per team-game of ``games`` (in its order): ``GAME_DATE``, ``TEAM``, the ``CUTOFF``, whether
    some publication lists the game's date at all (``ERA``: the reports' era; outside it the lists
    stand in), the last publication at or before the cutoff that lists the game's date
    (``PUBLISHED``; NaT: none yet, as for a noon tip-off) and the one whose statuses the team-game
    takes (``REPORT_TIME``): the same, or where it says the team is NOT YET SUBMITTED, the team's
    latest earlier one that had its statuses (NaT: none, nobody is known out)."""
    reports = reports.assign(GAME_DATE=pd.to_datetime(reports["GAME_DATE"]).astype("datetime64[ns]"),
                             REPORT_TIME=pd.to_datetime(reports["REPORT_TIME"]).astype("datetime64[ns]"))
    out = pd.DataFrame({"GAME_DATE": pd.to_datetime(games["GAME_DATE"]).to_numpy().astype("datetime64[ns]"),
                        "TEAM": games["TEAM"].to_numpy(object)})
    tips = reports.drop_duplicates(["GAME_DATE", "TEAM"]).set_index(["GAME_DATE", "TEAM"])["GAME_TIME"]
    clock = tips.reindex(pd.MultiIndex.from_frame(out)).fillna("").to_numpy(object)
    tip = pd.to_timedelta([f"{c}:00" if c else None for c in clock], errors="coerce")
    evening = pd.Timedelta(minutes=CUTOFF_MINUTES)
    before_tip = np.where(pd.isna(tip), evening, tip - pd.Timedelta(minutes=1))
    out["CUTOFF"] = out["GAME_DATE"] + pd.to_timedelta(np.minimum(before_tip, evening))
    out["_order"] = np.arange(len(out))
    publications = reports[["GAME_DATE", "REPORT_TIME"]].drop_duplicates().sort_values("REPORT_TIME")
    found = pd.merge_asof(out.sort_values("CUTOFF"), publications,
                          left_on="CUTOFF", right_on="REPORT_TIME", by="GAME_DATE", direction="backward")
    found = found.sort_values("_order").reset_index(drop=True)
    found["PUBLISHED"] = found["REPORT_TIME"]
    found["ERA"] = found["GAME_DATE"].isin(set(reports["GAME_DATE"]))
    silent = reports[reports["STATUS"] == NOT_SUBMITTED][["REPORT_TIME", "GAME_DATE", "TEAM"]].drop_duplicates()
    unsent = pd.MultiIndex.from_frame(found[["REPORT_TIME", "GAME_DATE", "TEAM"]]).isin(pd.MultiIndex.from_frame(silent))
    if unsent.any():  # that publication has no statuses of the team: its latest earlier one that had
        had = reports[reports["STATUS"] != NOT_SUBMITTED][["GAME_DATE", "TEAM", "REPORT_TIME"]].drop_duplicates()
        had = had.rename(columns={"REPORT_TIME": "EARLIER"}).sort_values("EARLIER")
        ask = found.loc[unsent, ["GAME_DATE", "TEAM", "REPORT_TIME", "_order"]].sort_values("REPORT_TIME")
        earlier = pd.merge_asof(ask, had, left_on="REPORT_TIME",
                                right_on="EARLIER", by=["GAME_DATE", "TEAM"], direction="backward",
                                allow_exact_matches=False).set_index("_order")["EARLIER"]
        found.loc[unsent, "REPORT_TIME"] = earlier.reindex(found.loc[unsent, "_order"]).to_numpy()  # NaT: none
    return found.drop(columns="_order")

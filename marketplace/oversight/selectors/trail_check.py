"""Checking a trail: its events against the audit chain, its frozen results against their hashes.
Reads only: hashes are recomputed in memory and compared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from audit.chain import GENESIS_HASH, digest_of, hash_of_event
from audit.models import AuditEvent
from marketplace.oversight.selectors.trail import Trail, selection_trail
from marketplace.selection.models import SavedSearch, SearchSnapshotEntry
from marketplace.selection.selectors import entries_digest_items


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class TrailCheck:
    award_id: int
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"award": self.award_id, "ok": self.ok,
                "checks": [{"name": check.name, "ok": check.ok, "detail": check.detail} for check in self.checks]}


def trail_check(*, user: User, award_id: Any) -> TrailCheck:
    """Verify the trail's events against the chain and the frozen snapshot against its hashes.

    For each event of the trail: its stored hash equals the hash recomputed from its fields
    (``audit.chain.hash_of_event``), and its ``prev_hash`` equals the stored hash of the event with
    the sequence just before it (the genesis hash for the first). For the frozen search: the hash
    recomputed from the stored ``SearchSnapshotEntry`` rows equals ``SavedSearch.entries_hash``,
    the award's ``entries_hash`` and the ``entries_hash`` in the freeze and award events. Reads only.
    """
    trail = selection_trail(user=user, award_id=award_id)
    checks: list[Check] = []
    events = trail.events
    if not events:
        checks.append(Check(_("Audit events recorded"), False, _("No audit event records this selection.")))
    previous_by_sequence = {
        event.sequence: event.hash
        for event in AuditEvent.objects.filter(sequence__in=[item.sequence - 1 for item in events]).only("sequence", "hash")
    }
    for event in events:
        label = _("Event #%(sequence)s %(action)s") % {"sequence": event.sequence, "action": event.action}
        recomputed = hash_of_event(event)
        if recomputed == event.hash:
            checks.append(Check(label + " · " + _("hash"), True, _("The stored hash matches the event's contents.")))
        else:
            checks.append(Check(label + " · " + _("hash"), False, _(
                "The event was altered: its contents hash to %(recomputed)s but %(stored)s is stored."
            ) % {"recomputed": recomputed, "stored": event.hash}))
        expected_prev = GENESIS_HASH if event.sequence == 1 else previous_by_sequence.get(event.sequence - 1)
        if expected_prev is None:
            checks.append(Check(label + " · " + _("link"), False, _(
                "Event #%(previous)s, which it should follow, is missing from the chain.") % {
                    "previous": event.sequence - 1}))
        elif expected_prev == event.prev_hash:
            checks.append(Check(label + " · " + _("link"), True, _("It points at the event before it in the chain.")))
        else:
            checks.append(Check(label + " · " + _("link"), False, _(
                "Its previous hash %(found)s is not the hash of event #%(previous)s (%(expected)s)."
            ) % {"found": event.prev_hash, "previous": event.sequence - 1, "expected": expected_prev}))
    search = trail.search
    if search is not None and search.status == SavedSearch.Status.FROZEN:
        checks.extend(_snapshot_checks(trail, search, events))
    return TrailCheck(award_id=trail.award.pk, checks=checks)


def _snapshot_checks(trail: Trail, search: SavedSearch, events: list[AuditEvent]) -> list[Check]:
    stored_rows = list(SearchSnapshotEntry.objects.filter(search=search).order_by("rank"))
    items = entries_digest_items(stored_rows)
    recomputed = digest_of(items)
    checks = []

    def compare(name: str, expected: str | None, missing: str) -> None:
        if not expected:
            checks.append(Check(name, False, missing))
        elif expected == recomputed:
            checks.append(Check(name, True, _("The frozen results hash to %(hash)s, as recorded.") % {"hash": expected}))
        else:
            checks.append(Check(name, False, _(
                "The frozen results as stored now hash to %(recomputed)s, but %(expected)s was recorded: "
                "a stored result was changed after the search ended."
            ) % {"recomputed": recomputed, "expected": expected}))

    compare(_("Snapshot hash on the saved search"), search.entries_hash, _("The saved search has no recorded hash."))
    freeze = next((event for event in events if event.action == "search.frozen"
                   and event.target_id == str(search.pk)), None)
    compare(_("Snapshot hash in the freeze event"), (freeze.payload or {}).get("entries_hash") if freeze else None,
            _("No freeze event was found for this search."))
    if freeze is not None and isinstance((freeze.payload or {}).get("entries"), list):
        recorded = {tuple(item[:2]): item[2] for item in freeze.payload["entries"] if len(item) == 3}
        changed = [f"#{rank}" for rank, version, price in items if recorded.get((rank, version)) != price]
        if changed:
            checks.append(Check(_("Frozen prices against the freeze event"), False, _(
                "These results differ from what the freeze event recorded: %(ranks)s.") % {"ranks": ", ".join(changed)}))
        else:
            checks.append(Check(_("Frozen prices against the freeze event"), True,
                                _("Every stored result and price is the one the freeze event recorded.")))
    if trail.award.search_id == search.pk:
        compare(_("Snapshot hash on the award"), trail.award.entries_hash, _("The award records no snapshot hash."))
        award_event = next((event for event in events if event.action in ("award.made", "award.no_award")
                            and event.target_id == str(trail.award.pk)), None)
        compare(_("Snapshot hash in the award event"),
                (award_event.payload or {}).get("entries_hash") if award_event else None,
                _("No award event was found for this selection."))
    return checks

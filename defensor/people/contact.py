"""What a person said about being contacted, in their own terms, for the include shown beside every
reply, call and contact action (templates/people/contact_conditions.html).

A request's conditions come from its answers (intake builds them); a person's from their handles:
a handle's ``safe_to_contact`` is the answer to "may we leave you messages and say who we are?"
(or the team's later correction of it), so it is shown as that, never as "do not contact"."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from defensor.keys.records import Decrypted
from defensor.people.models import Handle


@dataclass(frozen=True)
class ContactConditions:
    ways: tuple[str, ...]  # how they said we may reach them, as labels in the reader's language
    leave_messages: bool | None  # "may we leave messages and say who we are?"; None: not said
    safe_times: tuple[str, ...]  # their own words ("после 19:00")
    site_only: bool = False  # only replies on the site, read with the receipt phrase

    @property
    def warn(self) -> bool:
        """Contacting them outside the site needs care: they said no, or did not say yes."""
        return self.site_only or (bool(self.ways) and self.leave_messages is not True)


def conditions_from_handles(handles: Iterable[tuple[Handle, Decrypted]]) -> ContactConditions | None:
    """A person's conditions from their decrypted handles; None when no way to reach them is recorded.
    Messages may be left only if every handle allows it."""
    handles = list(handles)
    if not handles:
        return None
    ways = tuple(dict.fromkeys(str(h.get_kind_display()) for h, _v in handles))
    times = tuple(dict.fromkeys(t for _h, v in handles if (t := (v.safe_times or "").strip())))
    return ContactConditions(ways=ways, leave_messages=all(h.safe_to_contact for h, _v in handles), safe_times=times)

"""Regions coarsened to federal districts: what a report shows instead of a region.

A region names too few people to publish; a federal district is the smallest area reports break
counts down by. Codes are those of intake's region list (ISO 3166-2). The Ukrainian regions Russia
claims (Crimea and Sevastopol included) are one group of their own, not folded into a district.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CENTRAL = "central"
NORTHWESTERN = "northwestern"
SOUTHERN = "southern"
NORTH_CAUCASIAN = "north_caucasian"
VOLGA = "volga"
URAL = "ural"
SIBERIAN = "siberian"
FAR_EASTERN = "far_eastern"
ANNEXED = "annexed"
OUTSIDE = "outside"
NOT_STATED = "not_stated"

_MEMBERS: dict[str, tuple[str, ...]] = {
    CENTRAL: ("BEL", "BRY", "VLA", "VOR", "IVA", "KLU", "KOS", "KRS", "LIP", "MOW", "MOS", "ORL", "RYA",
              "SMO", "TAM", "TVE", "TUL", "YAR"),
    NORTHWESTERN: ("KR", "KO", "ARK", "NEN", "VLG", "KGD", "LEN", "MUR", "NGR", "PSK", "SPE"),
    SOUTHERN: ("AD", "KL", "KDA", "AST", "VGG", "ROS"),
    NORTH_CAUCASIAN: ("DA", "IN", "KB", "KC", "SE", "CE", "STA"),
    VOLGA: ("BA", "ME", "MO", "TA", "UD", "CU", "PER", "KIR", "NIZ", "ORE", "PNZ", "SAM", "SAR", "ULY"),
    URAL: ("KGN", "SVE", "TYU", "CHE", "KHM", "YAN"),
    SIBERIAN: ("AL", "TY", "KK", "ALT", "KYA", "IRK", "KEM", "NVS", "OMS", "TOM"),
    FAR_EASTERN: ("BU", "SA", "ZAB", "KAM", "PRI", "KHA", "AMU", "MAG", "SAK", "YEV", "CHU"),
}

DISTRICT_OF_REGION: dict[str, str] = {
    f"RU-{code}": district for district, codes in _MEMBERS.items() for code in codes
}
DISTRICT_OF_REGION.update({code: ANNEXED for code in ("UA-14", "UA-23", "UA-09", "UA-43", "UA-40", "UA-65")})
DISTRICT_OF_REGION["OTHER"] = OUTSIDE

# In the order reports list them (west to east, then the groups that are not districts).
DISTRICTS: tuple[str, ...] = (
    CENTRAL, NORTHWESTERN, SOUTHERN, NORTH_CAUCASIAN, VOLGA, URAL, SIBERIAN, FAR_EASTERN,
    ANNEXED, OUTSIDE, NOT_STATED,
)

DISTRICT_NAMES: dict[str, Promise] = {
    CENTRAL: _("Central"),
    NORTHWESTERN: _("Northwestern"),
    SOUTHERN: _("Southern"),
    NORTH_CAUCASIAN: _("North Caucasian"),
    VOLGA: _("Volga"),
    URAL: _("Ural"),
    SIBERIAN: _("Siberian"),
    FAR_EASTERN: _("Far Eastern"),
    ANNEXED: _("Annexed regions of Ukraine"),
    OUTSIDE: _("Outside Russia / other"),
    NOT_STATED: _("Not stated"),
}


def district_of(region: str | None) -> str:
    """The federal district (or group) of a region code; an unknown or missing code: not stated."""
    return DISTRICT_OF_REGION.get(region or "", NOT_STATED)

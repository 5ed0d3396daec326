"""Party labels as people read them: 甲, 乙, 丙… beside the index used in JSON.

Chinese accident documents name the parties by the heavenly stems (甲方, 乙方, …); the
API keeps the zero-based index and adds the label wherever a person reads it.
"""

from __future__ import annotations

STEMS = "甲乙丙丁戊己庚辛壬癸"


def party_label(index: int) -> str:
    """甲 for party 0, 乙 for 1, …; past the tenth party, 癸 is followed by 11, 12, …"""
    if index < 0:
        raise ValueError("a party index is never negative")
    if index < len(STEMS):
        return STEMS[index]
    return str(index + 1)

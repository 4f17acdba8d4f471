"""Claim rules added for carrier incidents and damage-report photos."""

from __future__ import annotations

import pytest

from freight.claims.rules import incident_claim, merged_kind, sniff_image


@pytest.mark.parametrize(
    ("incident", "kind", "review"),
    [("damage", "damage", False), ("loss", "loss", False), ("returned", "loss", True),
     ("failure", "loss", True)],
)  # fmt: skip
def test_incidents_map_to_claims(incident: str, kind: str, review: bool) -> None:
    mapped = incident_claim(incident)
    assert mapped is not None
    assert (mapped.kind, mapped.review) == (kind, review)


def test_unknown_incident_opens_nothing() -> None:
    assert incident_claim("delayed") is None


def test_a_second_customer_report_keeps_concealed_damage_concealed() -> None:
    merged = merged_kind("concealed_damage", "damage", current_review=False,
                         signal_review=False, follow_up=True)  # fmt: skip
    assert merged == "concealed_damage"
    merged = merged_kind("loss", "damage", current_review=False, signal_review=False,
                         follow_up=True)  # fmt: skip
    assert merged == "damage"


def test_a_confirmed_incident_replaces_a_review_flag_and_damage_beats_loss() -> None:
    assert merged_kind("loss", "damage", current_review=True, signal_review=False) == "damage"
    assert merged_kind("damage", "loss", current_review=False, signal_review=True) == "damage"
    assert merged_kind("loss", "concealed_damage", current_review=False, signal_review=False) == (
        "concealed_damage"
    )
    assert merged_kind("damage", "concealed_damage", current_review=False, signal_review=False) == (
        "damage"
    )


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", ("image/jpeg", "jpg")),
        (b"\x89PNG\r\n\x1a\n\x00\x00", ("image/png", "png")),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", ("image/webp", "webp")),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", ("image/heic", "heic")),
        (b"GIF89a", None),
        (b"%PDF-1.7", None),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
        (b"", None),
    ],
)
def test_images_are_recognized_by_their_bytes(
    head: bytes, expected: tuple[str, str] | None
) -> None:
    assert sniff_image(head) == expected

"""Kept answers are sealed with AES-GCM under a key derived from SECRET_KEY, bound to their record."""

from __future__ import annotations

import pytest

from storegraph.platform.idempotency import AnswerSealer, StoredResponse, UnreadableAnswer
from storegraph.platform.idempotency.sealing import _bound

SECRET = b'{"data":{"secret":"dzpk_live_abc.s3cr3t-value"}}'
ANSWER = StoredResponse(201, ((b"content-type", b"application/json"), (b"location", b"/v1/keys/7")), SECRET)
SEALER = AnswerSealer.from_secret("deployment-secret")


def test_a_sealed_answer_opens_to_the_same_answer():
    sealed = SEALER.seal("1:k", "fp", ANSWER)

    assert SEALER.open("1:k", "fp", sealed) == ANSWER


def test_a_sealed_answer_shows_nothing_of_its_body_or_headers():
    sealed = SEALER.seal("1:k", "fp", ANSWER)

    assert b"s3cr3t" not in sealed
    assert b"dzpk_live" not in sealed
    assert b"/v1/keys/7" not in sealed


def test_another_process_with_the_same_secret_key_opens_it():
    sealed = SEALER.seal("1:k", "fp", ANSWER)

    assert AnswerSealer.from_secret("deployment-secret").open("1:k", "fp", sealed) == ANSWER


def test_another_secret_key_cannot_open_it():
    sealed = SEALER.seal("1:k", "fp", ANSWER)

    with pytest.raises(UnreadableAnswer):
        AnswerSealer.from_secret("another-secret").open("1:k", "fp", sealed)


@pytest.mark.parametrize(("scope_key", "fingerprint"), [("2:k", "fp"), ("1:other", "fp"), ("1:k", "other")])
def test_a_sealed_answer_opens_only_for_its_own_record(scope_key, fingerprint):
    sealed = SEALER.seal("1:k", "fp", ANSWER)

    with pytest.raises(UnreadableAnswer):
        SEALER.open(scope_key, fingerprint, sealed)


def test_an_altered_byte_makes_it_unreadable():
    sealed = bytearray(SEALER.seal("1:k", "fp", ANSWER))
    sealed[-5] ^= 0x01

    with pytest.raises(UnreadableAnswer):
        SEALER.open("1:k", "fp", bytes(sealed))


@pytest.mark.parametrize("record", [b"", b"\x01short", b'{"status":201,"headers":[]}\n{"data":{}}'])
def test_bytes_that_are_not_a_sealed_answer_are_unreadable(record):
    with pytest.raises(UnreadableAnswer):
        SEALER.open("1:k", "fp", record)


def test_sealing_the_same_answer_twice_gives_different_bytes():
    assert SEALER.seal("1:k", "fp", ANSWER) != SEALER.seal("1:k", "fp", ANSWER)


def test_the_record_of_an_answer_too_large_to_keep_opens_to_its_status_and_size():
    ran = StoredResponse(200, (), b"", omitted_bytes=300_000)

    assert SEALER.open("1:k", "fp", SEALER.seal("1:k", "fp", ran)) == ran


def test_the_associated_data_is_what_kept_answers_were_sealed_with():
    # Sealed answers outlive a deploy: the bytes that bind one to its record must not change between versions.
    assert _bound("7:clé", "ab12") == b"\x00\x00\x00\x067:cl\xc3\xa9" + b"\x00\x00\x00\x04ab12"

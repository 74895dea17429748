"""The signer's CMS template: pyHanko's own signature structure, built once per process (benchmark P4)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign import signers
from weasyprint import HTML

from jumin.certificates import signing
from tests.certificates.helpers import in_own_thread

SYNTHETIC_KEYWORDS = "20261124 見本市 001"
T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    result: T = in_own_thread(asyncio.run, coroutine)
    return result


def _sign_digest(signer: signers.Signer, digest: bytes, **kwargs: Any) -> cms.ContentInfo:
    result: cms.ContentInfo = _run(signer.async_sign(digest, "sha256", use_pades=True, **kwargs))
    return result


def _unsigned(content_info: cms.ContentInfo) -> bytes:
    """The CMS with its signature value blanked: ECDSA signatures differ on every signing."""
    copy = cms.ContentInfo.load(content_info.dump())
    copy["content"]["signer_infos"][0]["signature"] = b""
    return bytes(copy.dump())


def test_a_templated_signature_is_pyhankos_own_structure_and_verifies_with_the_certificate() -> None:
    material = signing.signing_material()
    digest = hashlib.sha256(b"a synthetic document").digest()
    _sign_digest(material.signer, hashlib.sha256(b"an earlier document").digest())  # builds the template

    templated = _sign_digest(material.signer, digest)
    reference = _run(signers.SimpleSigner.async_sign(material.signer, digest, "sha256", use_pades=True))

    assert _unsigned(templated) == _unsigned(reference)
    signer_info = templated["content"]["signer_infos"][0]
    attributes = {attr["type"].native: attr["values"][0] for attr in signer_info["signed_attrs"]}
    assert attributes["message_digest"].native == digest
    public_key = x509.load_der_x509_certificate(material.certificate.dump()).public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(  # raises InvalidSignature if the attributes were signed wrongly
        signer_info["signature"].native,
        signer_info["signed_attrs"].untag().dump(),
        ec.ECDSA(hashes.SHA256()),
    )


def _count_pyhanko_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    builds: list[int] = []
    real = signers.SimpleSigner.async_sign

    async def counting(self: signers.SimpleSigner, *args: Any, **kwargs: Any) -> cms.ContentInfo:
        builds.append(1)
        result: cms.ContentInfo = await real(self, *args, **kwargs)
        return result

    monkeypatch.setattr(signers.SimpleSigner, "async_sign", counting)
    return builds


def test_pyhanko_builds_the_cms_once_and_every_signed_pdf_verifies(monkeypatch: pytest.MonkeyPatch) -> None:
    builds = _count_pyhanko_builds(monkeypatch)
    pdfs = [
        HTML(string=f'<meta name="keywords" content="{SYNTHETIC_KEYWORDS}"><p>見本 {index}</p>').write_pdf()
        for index in range(3)
    ]
    signed = [in_own_thread(signing.sign_pdf, pdf, reason="見本", location="見本市") for pdf in pdfs]

    assert builds == [1]
    for data in signed:
        verdict = in_own_thread(signing.verify_signature, data)
        assert verdict.valid, verdict.reason
        assert verdict.copy_numbers == (SYNTHETIC_KEYWORDS,)
    assert len(set(signed)) == 3


@pytest.mark.parametrize(
    "request_kwargs",
    [{"dry_run": True}, {"use_pades": False}],
    ids=["dry run", "not PAdES"],
)
def test_other_signing_requests_go_to_pyhanko(
    monkeypatch: pytest.MonkeyPatch, request_kwargs: dict[str, Any]
) -> None:
    material = signing.signing_material()
    _sign_digest(material.signer, hashlib.sha256(b"template").digest())
    builds = _count_pyhanko_builds(monkeypatch)

    kwargs = {"use_pades": True, **request_kwargs}
    _run(material.signer.async_sign(hashlib.sha256(b"doc").digest(), "sha256", **kwargs))

    assert builds == [1]

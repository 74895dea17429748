"""PAdES signatures with pyHanko: every certificate PDF is signed with the municipality's key (issue 6).

The key and its X.509 certificate are PEM files (``conf.signing_key_path`` / ``signing_cert_path``). In demo
and test mode a missing pair is generated on first use under ``var/keys/`` (mode 0600), like the 個人番号
keyring; outside demo mode a missing key stops issuance with a clear error. Verification trusts exactly
this certificate and requires the signature to cover the whole file (no later incremental change).
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from jumin.certificates import conf
from jumin.domain.errors import DomainError, refusal

SIGNATURE_FIELD = "JuminCertificateSignature"
SIGNATURE_BYTES = 8192  # a P-256 CMS signature with its certificate is about 1.5 KB


class SigningKeyMissing(Exception):  # noqa: N818 (a configuration state the operator must fix)
    """The municipality's signing key or certificate is missing outside demo mode."""


@dataclass(frozen=True)
class SigningMaterial:
    """The loaded key pair: pyHanko's signer and the certificate verification trusts."""

    signer: signers.SimpleSigner
    certificate: asn1_x509.Certificate


# The document digest of the one signature pyHanko builds per process; found again in its DER to cut the
# signed attributes around it. Any 32 bytes would do: these are recognisable.
_TEMPLATE_DIGEST_ALGORITHM = "sha256"
_TEMPLATE_DIGEST = hashlib.sha256(b"Jumin CMS template digest").digest()


@dataclass(frozen=True)
class _CmsTemplate:
    """A CMS signature pyHanko built, cut around the document digest of its signed attributes."""

    content_info_der: bytes
    attributes_before_digest: bytes
    attributes_after_digest: bytes


class TemplateSigner(signers.SimpleSigner):
    """A ``SimpleSigner`` that has pyHanko build the CMS structure once per process, then only re-signs.

    For a PAdES signature without a timestamp the signed attributes (content type, message digest,
    signing-certificate-v2) differ from one document to the next only in the 32-byte message digest, and the
    CMS around them (algorithm ids, the certificate set, the signer's identifier) not at all. pyHanko builds
    all of it from Python values in asn1crypto, about 18 ms of CPU per certificate (benchmark P4); here its
    first signature is kept as DER, and every later one swaps in the document digest, signs the attributes
    with the same key and algorithm and re-encodes only the lengths around the new signature (0.3 ms). Any
    other request (a dry run, a timestamp, CAdES attributes, custom attribute providers) goes to pyHanko.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cms_template: _CmsTemplate | None = None
        self._template_built = False

    async def async_sign(
        self,
        data_digest: bytes,
        digest_algorithm: str,
        dry_run: bool = False,
        use_pades: bool = False,
        timestamper: Any = None,
        signed_attr_settings: Any = None,
        is_pdf_sig: bool = True,
        encap_content_info: Any = None,
    ) -> cms.ContentInfo:
        """pyHanko's CMS signature of ``data_digest``, from the per-process template when it applies."""
        plain_pades = (
            use_pades
            and is_pdf_sig
            and not dry_run
            and timestamper is None
            and encap_content_info is None
            and (signed_attr_settings is None or signed_attr_settings.cades_signed_attrs is None)
            and self.signed_attr_prov_spec is None
            and self.unsigned_attr_prov_spec is None
            and digest_algorithm == _TEMPLATE_DIGEST_ALGORITHM
            and len(data_digest) == len(_TEMPLATE_DIGEST)
        )
        template = await self._template() if plain_pades else None
        if template is None:
            return await super().async_sign(
                data_digest,
                digest_algorithm,
                dry_run=dry_run,
                use_pades=use_pades,
                timestamper=timestamper,
                signed_attr_settings=signed_attr_settings,
                is_pdf_sig=is_pdf_sig,
                encap_content_info=encap_content_info,
            )
        attributes = template.attributes_before_digest + data_digest + template.attributes_after_digest
        signature = await self.async_sign_raw(attributes, digest_algorithm)
        content_info = cms.ContentInfo.load(template.content_info_der)
        signer_info = content_info["content"]["signer_infos"][0]
        signer_info["signed_attrs"] = cms.CMSAttributes.load(attributes)
        signer_info["signature"] = signature
        return content_info

    async def _template(self) -> _CmsTemplate | None:
        """pyHanko's own signature of the template digest, cut around it; None if it cannot be cut."""
        if self._template_built:
            return self._cms_template
        content_info = await super().async_sign(_TEMPLATE_DIGEST, _TEMPLATE_DIGEST_ALGORITHM, use_pades=True)
        signer_info = content_info["content"]["signer_infos"][0]
        attributes = signer_info["signed_attrs"].untag().dump()
        template = None
        if not signer_info["unsigned_attrs"] and attributes.count(_TEMPLATE_DIGEST) == 1:
            before, after = attributes.split(_TEMPLATE_DIGEST)
            template = _CmsTemplate(content_info.dump(), before, after)
        # Two threads racing here build the same template; either result is right.
        self._cms_template, self._template_built = template, True
        return template


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def generate_demo_material(key_path: Path, cert_path: Path, *, common_name: str) -> None:
    """A fresh P-256 key and a self-signed certificate valid for ten years (demo and tests only)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Jumin demo (fictitious)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # non-repudiation: pyHanko requires it of signers by default
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    _write_private(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    if not cert_path.exists():
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


_lock = threading.Lock()
_cache: dict[tuple[str, str], tuple[tuple[float, float], SigningMaterial]] = {}


def _mtimes(key_path: Path, cert_path: Path) -> tuple[float, float] | None:
    try:
        return (key_path.stat().st_mtime, cert_path.stat().st_mtime)
    except FileNotFoundError:
        return None


def signing_material() -> SigningMaterial:
    """The municipality's signer; generated in demo mode, ``SigningKeyMissing`` otherwise if absent."""
    key_path, cert_path = conf.signing_key_path(), conf.signing_cert_path()
    stamp = _mtimes(key_path, cert_path)
    if stamp is None:
        if not conf.demo_mode():
            raise SigningKeyMissing(
                f"証明書の署名鍵 {key_path} または証明書 {cert_path} がありません。"
                "JUMIN_CERTIFICATE_SIGNING_KEY / JUMIN_CERTIFICATE_SIGNING_CERT を設定してください。"
            )
        generate_demo_material(key_path, cert_path, common_name="Jumin demo municipality certificate signer")
        stamp = _mtimes(key_path, cert_path)
    with _lock:
        cached = _cache.get((str(key_path), str(cert_path)))
        if cached is not None and cached[0] == stamp:
            return cached[1]
    certificate = asn1_x509.Certificate.load(_pem_to_der(cert_path.read_bytes()))
    private_key = asn1_keys.PrivateKeyInfo.load(_pem_to_der(key_path.read_bytes()))
    signer = TemplateSigner(
        signing_cert=certificate,
        signing_key=private_key,
        cert_registry=_store(certificate),
    )
    material = SigningMaterial(signer=signer, certificate=certificate)
    with _lock:
        _cache[(str(key_path), str(cert_path))] = (stamp or (0.0, 0.0), material)
    return material


def _store(certificate: asn1_x509.Certificate) -> SimpleCertificateStore:
    # The constructor of pyhanko-certvalidator's store carries no annotations.
    store = SimpleCertificateStore()  # type: ignore[no-untyped-call]
    store.register(certificate)
    return store


def _pem_to_der(data: bytes) -> bytes:
    from asn1crypto import pem

    if pem.detect(data):
        _type, _headers, der = pem.unarmor(data)
        return bytes(der)
    return data


def sign_pdf(pdf: bytes, *, reason: str, location: str) -> bytes:
    """The PDF with one PAdES baseline signature (B-B) over the whole file."""
    material = signing_material()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
    )
    # A fixed reservation skips pyHanko's dry-run signature that estimates the size (half the cost).
    output = signers.sign_pdf(writer, metadata, signer=material.signer, bytes_reserved=SIGNATURE_BYTES)
    signed: bytes = output.getvalue()
    return signed


@dataclass(frozen=True)
class SignatureVerdict:
    """Whether the signature is ours, intact and covers the whole file; ``copy_numbers`` from its keywords."""

    valid: bool
    reason: str
    copy_numbers: tuple[str, ...] = ()


def _invalid(reason: str) -> SignatureVerdict:
    return SignatureVerdict(valid=False, reason=reason)


def verify_signature(data: bytes) -> SignatureVerdict:
    """Check the PAdES signature against the municipality's certificate; never raises on a bad file."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception:
        return _invalid("PDFとして読み取れません。")
    if len(signatures) != 1:
        return _invalid("電子署名がありません。" if not signatures else "電子署名が複数あります。")
    material = signing_material()
    context = ValidationContext(trust_roots=[material.certificate], allow_fetching=False)
    try:
        status = validate_pdf_signature(signatures[0], context)
    except (SigningError, ValueError, KeyError):
        return _invalid("電子署名を検証できません。")
    if not status.intact or not status.valid:
        return _invalid("署名後に内容が改変されています。")
    if not status.trusted:
        return _invalid("この市区町村の署名鍵による署名ではありません。")
    if status.coverage is not SignatureCoverageLevel.ENTIRE_FILE:
        return _invalid("署名の後に文書が追記・変更されています。")
    info = reader.trailer_view.get("/Info")
    info = info.get_object() if info is not None else None
    keywords = str(info.get("/Keywords", "")) if info is not None else ""
    numbers = tuple(part.strip() for part in keywords.split(";") if part.strip())
    if not numbers:
        return _invalid("発行番号が記録されていません。")
    return SignatureVerdict(valid=True, reason="", copy_numbers=numbers)


def signing_refusal(error: SigningKeyMissing) -> DomainError:
    """The clerk's message when issuance stops for a missing key (the operator's detail goes to the log)."""
    return refusal(
        "signing_key",
        "証明書に電子署名をするための鍵が設定されていないため、交付できません。",
        "システム管理者に署名鍵の設定を依頼してください。",
        "certificates.signing_key_missing",
    )

"""FHIR R4 in: read a Bundle (or loose resources) into an lmtx patient, saying what could not be mapped.

Optional extra: ``pip install 'lmtx[fhir]'`` (fhir.resources, its R4B models read
R4 content). ``import lmtx`` never imports this module.

The mapping is a table (``docs/fhir.md``): which resource, with which code,
becomes which field of the patient record (see docs/input-format.md). It never invents a fact:
anything that looks relevant but cannot be read unambiguously is reported as a
:class:`MappingIssue` with the resource's type and id and the reason, and every
resource lmtx does not read at all is listed in :attr:`FhirMapping.ignored`.

``unmapped`` issues name resources that were *not* used; ``ambiguous`` issues
name resources that were used under a documented reading a clinician should
check (a dose without a schedule read as once daily, an observation recognised
by its text rather than its code, two duplicate regimens merged, ...).

The package's modules follow what they read: ``_codes`` (terminology),
``_input`` (Bundles into entries, validation), ``_conditions``,
``_observations``, ``_medications`` (medication requests and statements, with
``_agents``, the drugs they name, and ``_dosage``, their route, dose and
schedule), ``_events`` (procedures and adverse events), ``_assembly`` (the
patient record, each field's value chosen by ``_diagnosis``, ``_series`` and
``_treatment``) and ``_report`` (what a run returns). Every public name is
importable from ``lmtx.fhir``.

For example:

    from lmtx.fhir import from_bundle

    mapping = from_bundle(bundle_json)
    for issue in mapping.issues:
        print(issue)
    if mapping.patient is not None:
        result = lmtx.evaluate(mapping.patient)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

try:
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.resource import Resource
except ImportError as _error:  # pragma: no cover - depends on the installed extras
    raise ImportError("lmtx.fhir needs the 'fhir' extra: pip install 'lmtx[fhir]'") from _error

from lmtx.fhir._agents import agent_of
from lmtx.fhir._assembly import Mapper
from lmtx.fhir._codes import ATC, ICD10CM, LMTX_CODES, LOINC, RXNORM, SNOMED
from lmtx.fhir._dosage import MAX_DOSE_MG, MIN_DOSE_MG
from lmtx.fhir._input import flatten, load
from lmtx.fhir._report import NO_LUNG_CANCER, BundleError, FhirMapping, IgnoredResource, IssueKind, MappingIssue

__all__ = [
    "ATC",
    "ICD10CM",
    "LMTX_CODES",
    "LOINC",
    "MAX_DOSE_MG",
    "MIN_DOSE_MG",
    "NO_LUNG_CANCER",
    "RXNORM",
    "SNOMED",
    "BundleError",
    "FhirMapping",
    "IgnoredResource",
    "IssueKind",
    "MappingIssue",
    "agent_of",
    "from_bundle",
    "from_resources",
]


def from_bundle(bundle: Mapping[str, Any] | str | bytes | Bundle, *, patient_id: str | None = None) -> FhirMapping:
    """Read a FHIR R4 Bundle into an lmtx patient.

    Args:
        bundle: The Bundle as JSON text, a parsed JSON object, or a fhir.resources
            R4B ``Bundle``.
        patient_id: The id of the patient to read. Default: the one Patient in
            the bundle; resources of other patients are reported, not used.

    Returns:
        The patient record with every unmapped or ambiguous resource.

    Raises:
        BundleError: The input is not a Bundle, or holds several patients and
            ``patient_id`` does not say which one to read.
    """
    data = load(bundle)
    if data.get("resourceType") != "Bundle":
        raise BundleError(f"expected a FHIR Bundle, got resourceType {data.get('resourceType')!r}")
    return from_resources([data], patient_id=patient_id)


def from_resources(
    resources: Iterable[Mapping[str, Any] | Resource | None], *, patient_id: str | None = None
) -> FhirMapping:
    """Read loose FHIR R4 resources (Bundles among them are opened) into an lmtx patient.

    This is what a CDS Hooks service holds: a prefetch value per key, each a
    single resource, a search-set Bundle, or ``None``.

    Args:
        resources: Resources as parsed JSON objects or fhir.resources R4B models.
        patient_id: The id of the patient to read (see :func:`from_bundle`).

    Returns:
        The patient record with every unmapped or ambiguous resource.

    Raises:
        BundleError: An item is not a FHIR resource, or the resources belong to
            several patients and ``patient_id`` does not say which one to read.
    """
    entries = list(flatten(resources))
    return Mapper(entries, patient_id).run()

using ConsentService.Domain.Decisions;
using ConsentService.Domain.Fhir;
using ConsentService.Domain.Policies;
using Hl7.Fhir.Model;
using static ConsentService.Domain.Tests.Fixtures;

namespace ConsentService.Domain.Tests;

public class DecisionEngineTests
{
    [Fact]
    public void Opt_in_for_ml_training_permits_with_deidentification()
    {
        var d = Decide(NewConsent("OPTIN", Permit(Ml)));
        Assert.Equal(Verdict.Permit, d.Verdict);
        Assert.Equal(DecisionBasis.Consent, d.Basis);
        Assert.Equal("Consent/c1/_history/1", d.ConsentReference);
        Assert.Equal("provision", d.ProvisionPath);
        Assert.Equal(["DEID"], d.Obligations.Select(o => o.Code));
        Assert.Equal(Obligations.Deidentify.System, d.Obligations[0].System);
    }

    [Fact]
    public void Opt_out_denies_with_no_obligations()
    {
        var d = Decide(NewConsent("OPTOUT", Deny()));
        Assert.Equal(Verdict.Deny, d.Verdict);
        Assert.Equal(DecisionBasis.Consent, d.Basis);
        Assert.Empty(d.Obligations);
    }

    [Fact]
    public void No_consent_falls_to_default_policy_and_reports_it()
    {
        var optIn = Decide([]);
        Assert.Equal((Verdict.Deny, DecisionBasis.Policy, "opt-in", "1"), (optIn.Verdict, optIn.Basis, optIn.PolicyId, optIn.PolicyVersion));
        Assert.Null(optIn.ConsentReference);
        var optOut = Decide([], policy: DefaultPolicy.OptOut);
        Assert.Equal((Verdict.Permit, DecisionBasis.Policy, "opt-out"), (optOut.Verdict, optOut.Basis, optOut.PolicyId));
        Assert.Equal(["DEID"], optOut.Obligations.Select(o => o.Code));
        Assert.All(optOut.Reasons, r => Assert.False(r.QuotesConsent));
    }

    [Fact]
    public void Three_levels_of_nesting_each_replace_their_parent()
    {
        // permit ML; except vendor B (deny); except vendor B for study UID (permit); except CT modality (deny)
        var root = Permit(Ml, exceptions:
            Deny(actors: [VendorB], exceptions:
                Permit(data: ["urn:oid:" + Uid], exceptions:
                    Deny(codes: [Modality("CT")]))));
        var consent = NewConsent("OPTIN", root);
        Assert.Equal(Verdict.Permit, Decide([Compile(consent)], request: Request(VendorA)).Verdict);

        var level3 = Decide([Compile(consent)], request: Request(VendorB));
        Assert.Equal(Verdict.Permit, level3.Verdict);
        Assert.Equal("provision.provision[0].provision[0]", level3.ProvisionPath);

        var level4 = Decide([Compile(consent)], study: Study("CT"), request: Request(VendorB));
        Assert.Equal(Verdict.Deny, level4.Verdict);
        Assert.Equal("provision.provision[0].provision[0].provision[0]", level4.ProvisionPath);
        Assert.Equal(3, level4.Reasons.Count(r => r.Text.StartsWith("provision.provision", StringComparison.Ordinal)));

        var otherStudy = Decide([Compile(consent)], study: Study(uid: "1.2.3.4"), request: Request(VendorB));
        Assert.Equal(Verdict.Deny, otherStudy.Verdict);
        Assert.Equal("provision.provision[0]", otherStudy.ProvisionPath);
    }

    [Fact]
    public void Sibling_conflict_deny_wins_whatever_the_order()
    {
        foreach (var flip in new[] { false, true })
        {
            Consent.provisionComponent[] kids = [Permit(Ml, actors: [VendorA]), Deny(codes: [Modality("CR")])];
            if (flip) Array.Reverse(kids);
            var d = Decide(NewConsent("OPTOUT", Deny(exceptions: kids)));
            Assert.Equal(Verdict.Deny, d.Verdict);
            Assert.Contains(d.Reasons, r => r.Text.Contains("deny wins", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Deny_for_an_ancestor_purpose_covers_ml_training_but_permit_for_it_does_not()
    {
        Assert.Equal(Verdict.Deny, Decide(NewConsent("OPTIN", Permit(Ml, exceptions: Deny(["HOPERAT"])))).Verdict);
        Assert.Equal(Verdict.Deny, Decide(NewConsent("OPTOUT", Deny(["PurposeOfUse"]))).Verdict);
        // a permit for healthcare operations is not a permit for ML training
        Assert.Equal(DecisionBasis.Policy, Decide(NewConsent("OPTIN", Permit(["HOPERAT"]))).Basis);
        // a deny for a sibling (TRAIN) or for research does not touch ML training
        Assert.Equal(Verdict.Permit, Decide(NewConsent("OPTIN", Permit(Ml, exceptions: Deny(["TRAIN"])))).Verdict);
        Assert.Equal(Verdict.Permit, Decide(NewConsent("OPTIN", Permit(Ml, exceptions: Deny(["HRESCH"])))).Verdict);
        // a deny for a descendant of the request does not match a broader request
        var hoperatRequest = Decide([Compile(NewConsent("OPTIN", Permit(["HOPERAT"], exceptions: Deny(Ml))))], request: Request(purpose: "HOPERAT"));
        Assert.Equal(Verdict.Permit, hoperatRequest.Verdict);
    }

    [Fact]
    public void Safety_rule_1_vague_consent_is_never_a_yes()
    {
        var vague = Decide(NewConsent("OPTIN", Permit()));
        Assert.Equal((Verdict.Deny, DecisionBasis.Policy), (vague.Verdict, vague.Basis));
        Assert.Contains(vague.Reasons, r => r.QuotesConsent && r.Text.Contains("vague", StringComparison.Ordinal));
        // no provision at all
        Assert.Equal(DecisionBasis.Policy, Decide(NewConsent("OPTIN", null)).Basis);
        // a nested permit without purpose under a deny that states none leaves the deny standing
        var nested = Decide(NewConsent("OPTOUT", Deny(exceptions: Permit(actors: [VendorA]))));
        Assert.Equal((Verdict.Deny, "provision"), (nested.Verdict, nested.ProvisionPath));
        // ... but inherits a purpose stated by an ancestor
        var inherited = Decide(NewConsent("OPTIN", Permit(Ml, exceptions: Deny(actors: [VendorA], exceptions: Permit(codes: [Modality("CR")])))));
        Assert.Equal((Verdict.Permit, "provision.provision[0].provision[0]"), (inherited.Verdict, inherited.ProvisionPath));
    }

    [Fact]
    public void Safety_rule_2_missing_facts_match_a_deny_but_not_a_permit()
    {
        var noBodySite = Study("CT", bodySite: null);
        var denyHead = Compile(NewConsent("OPTIN", Permit(Ml, exceptions: Deny(codes: [Snomed("69536005")]))));
        Assert.Equal(Verdict.Deny, Decide([denyHead], noBodySite).Verdict);
        var permitHead = Compile(NewConsent("OPTOUT", Deny(exceptions: Permit(Ml, codes: [Snomed("69536005")]))));
        Assert.Equal(Verdict.Deny, Decide([permitHead], noBodySite).Verdict);

        var noStarted = Study(started: null);
        var denyBefore2022 = NewConsent("OPTIN", Permit(Ml, exceptions: Deny()));
        denyBefore2022.Provision!.Provision[0].DataPeriod = new Period { End = "2021-12-31" };
        Assert.Equal(Verdict.Deny, Decide([Compile(denyBefore2022)], noStarted).Verdict);
        var permitAfter2022 = NewConsent("OPTIN", Permit(Ml));
        permitAfter2022.Provision!.DataPeriod = new Period { Start = "2022-01-01" };
        Assert.Equal(DecisionBasis.Policy, Decide([Compile(permitAfter2022)], noStarted).Basis);
        Assert.Equal(Verdict.Permit, Decide([Compile(permitAfter2022)]).Verdict);
    }

    [Fact]
    public void Data_matches_by_reference_or_by_uid_identifier()
    {
        var byRef = NewConsent("OPTIN", Permit(Ml, exceptions: Deny(data: ["ImagingStudy/s1"])));
        Assert.Equal(Verdict.Deny, Decide(byRef).Verdict);
        var byIdentifier = NewConsent("OPTIN", Permit(Ml, exceptions: Deny()));
        byIdentifier.Provision!.Provision[0].Data.Add(new Consent.provisionDataComponent
        {
            Meaning = Consent.ConsentDataMeaning.Instance,
            Reference = new ResourceReference { Identifier = new Identifier(CodeSystems.DicomUid, "urn:oid:" + Uid) },
        });
        Assert.Equal(Verdict.Deny, Decide(byIdentifier).Verdict);
        Assert.Equal(Verdict.Permit, Decide([Compile(byIdentifier)], Study(uid: "9.9.9")).Verdict);
    }

    [Fact]
    public void Actor_matches_by_reference_or_identifier()
    {
        var consent = NewConsent("OPTIN", Permit(Ml, exceptions: Deny()));
        consent.Provision!.Provision[0].Actor.Add(new Consent.provisionActorComponent
        {
            Reference = new ResourceReference { Identifier = new Identifier("urn:ietf:rfc:3986", "urn:oid:2.16.840.1.999") },
        });
        var compiled = Compile(consent);
        Assert.Equal(Verdict.Permit, Decide([compiled], request: new DecisionRequest(VendorA)).Verdict);
        Assert.Equal(Verdict.Deny, Decide([compiled], request: new DecisionRequest(VendorA, "urn:ietf:rfc:3986", "urn:oid:2.16.840.1.999")).Verdict);
        Assert.Equal(Verdict.Deny, Decide([Compile(NewConsent("OPTIN", Permit(Ml, exceptions: Deny(actors: ["https://ehr.example/fhir/Organization/vendor-a"]))))]).Verdict);
    }

    [Fact]
    public void Patient_linked_by_identifier_or_reference()
    {
        var mrn = new Identifier(Mrn, "12345");
        var consentByMrn = NewConsent("OPTIN", Permit(Ml), patient: new ResourceReference { Identifier = mrn });
        var studyByRef = Study(subject: new ResourceReference(PatientRef) { Identifier = mrn });
        Assert.Equal(Verdict.Permit, Decide([Compile(consentByMrn)], studyByRef).Verdict);
        var otherPatient = Study(subject: new ResourceReference("Patient/p2") { Identifier = new Identifier(Mrn, "999") });
        Assert.Equal(DecisionBasis.Policy, Decide([Compile(consentByMrn)], otherPatient).Basis);
        Assert.Equal(DecisionBasis.Policy, Decide([Compile(NewConsent("OPTIN", Permit(Ml)))], Study(subject: new ResourceReference("Patient/p2"))).Basis);
    }

    [Fact]
    public void Body_site_code_covers_descendants()
    {
        var denyHead = Compile(NewConsent("OPTIN", Permit(Ml, exceptions: Deny(codes: [Snomed("69536005")]))));
        Assert.Equal(Verdict.Deny, Decide([denyHead], Study("MR", "12738006")).Verdict); // brain
        Assert.Equal(Verdict.Deny, Decide([denyHead], Study("CT", "15924003")).Verdict); // maxillary sinus
        Assert.Equal(Verdict.Permit, Decide([denyHead], Study("CT", "51185008")).Verdict); // thorax
        var denyBrain = Compile(NewConsent("OPTIN", Permit(Ml, exceptions: Deny(codes: [Snomed("12738006")]))));
        Assert.Equal(Verdict.Permit, Decide([denyBrain], Study("CT", "69536005")).Verdict); // head is not a brain
    }

    [Fact]
    public void Class_security_label_action_and_procedure_code_conditions()
    {
        var restricted = new Coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R");
        var denyRestricted = NewConsent("OPTIN", Permit(Ml, exceptions: Deny()));
        denyRestricted.Provision!.Provision[0].SecurityLabel.Add(restricted);
        Assert.Equal(Verdict.Deny, Decide([Compile(denyRestricted)], Study(labels: [restricted])).Verdict);
        Assert.Equal(Verdict.Permit, Decide([Compile(denyRestricted)], Study()).Verdict);

        var classDocs = NewConsent("OPTIN", Permit(Ml, exceptions: Deny()));
        classDocs.Provision!.Provision[0].Class.Add(new Coding(CodeSystems.ResourceTypes, "DocumentReference"));
        Assert.Equal(Verdict.Permit, Decide(classDocs).Verdict);
        classDocs.Provision!.Provision[0].Class.Add(new Coding(CodeSystems.ResourceTypes, "ImagingStudy"));
        Assert.Equal(Verdict.Deny, Decide(classDocs).Verdict);

        var onlyAccess = NewConsent("OPTIN", Permit(Ml));
        onlyAccess.Provision!.Action.Add(new CodeableConcept(CodeSystems.ConsentAction, "access"));
        Assert.Equal(DecisionBasis.Policy, Decide(onlyAccess).Basis);
        Assert.Equal(Verdict.Permit, Decide([Compile(onlyAccess)], request: Request(action: "access")).Verdict);

        var loinc = new Coding("http://loinc.org", "24627-2");
        var denyProcedure = Compile(NewConsent("OPTIN", Permit(Ml, exceptions: Deny(codes: [loinc]))));
        var study = StudyPoco();
        study.ProcedureCode.Add(new CodeableConcept { Coding = [loinc] });
        Assert.Equal(Verdict.Deny, Decide([denyProcedure], Studies.StudyFactsExtractor.Extract(study, "s1")).Verdict);
    }

    [Fact]
    public void Periods_expired_future_and_data_period()
    {
        var expired = NewConsent("OPTIN", Permit(Ml));
        expired.Provision!.Period = new Period { Start = "2020-01-01", End = "2024-12-31" };
        var d = Decide(expired);
        Assert.Equal(DecisionBasis.Policy, d.Basis);
        Assert.Contains(d.Reasons, r => r.Text.Contains("outside its period", StringComparison.Ordinal));
        Assert.Equal(Verdict.Permit, Decide([Compile(expired)], at: new DateTimeOffset(2024, 12, 31, 23, 0, 0, TimeSpan.Zero)).Verdict);

        var future = NewConsent("OPTIN", Permit(Ml));
        future.Provision!.Period = new Period { Start = "2026-01-01" };
        Assert.Equal(DecisionBasis.Policy, Decide(future).Basis);

        var nestedExpiredDeny = NewConsent("OPTIN", Permit(Ml, exceptions: Deny(actors: [VendorA])));
        nestedExpiredDeny.Provision!.Provision[0].Period = new Period { End = "2025-01-01" };
        Assert.Equal(Verdict.Permit, Decide(nestedExpiredDeny).Verdict);

        var onlyAfter2022 = NewConsent("OPTIN", Permit(Ml));
        onlyAfter2022.Provision!.DataPeriod = new Period { Start = "2022-01-01" };
        Assert.Equal(Verdict.Permit, Decide([Compile(onlyAfter2022)], Study(started: "2023-01-05")).Verdict);
        Assert.Equal(DecisionBasis.Policy, Decide([Compile(onlyAfter2022)], Study(started: "2021-12-31T23:59:00Z")).Basis);
    }

    [Fact]
    public void Unreadable_values_never_match_a_permit()
    {
        // A period bound that cannot be read is never widened to an open side: a permit conditioned on it does not
        // apply, a deny does.
        var permitWithBadEnd = NewConsent("OPTIN", Permit(Ml));
        permitWithBadEnd.Provision!.Period = new Period { Start = "2020-01-01", End = "someday" };
        Assert.Equal(DecisionBasis.Policy, Decide(permitWithBadEnd).Basis);
        Assert.Equal(Verdict.Deny, Decide([Compile(permitWithBadEnd)], policy: DefaultPolicy.OptIn).Verdict);

        var optOutWithBadPeriod = NewConsent("OPTOUT", Deny());
        optOutWithBadPeriod.Provision!.Period = new Period { Start = "2020-13-01" };
        var d = Decide([Compile(optOutWithBadPeriod)], policy: DefaultPolicy.OptOut);
        Assert.Equal((Verdict.Deny, DecisionBasis.Consent), (d.Verdict, d.Basis));

        var badDataPeriod = NewConsent("OPTIN", Permit(Ml, exceptions: Deny()));
        badDataPeriod.Provision!.DataPeriod = new Period { End = "2024-02-30" };
        Assert.Equal(DecisionBasis.Policy, Decide(badDataPeriod).Basis);
        badDataPeriod.Provision.DataPeriod = null;
        badDataPeriod.Provision.Provision[0].DataPeriod = new Period { End = "2024-02-30" };
        Assert.Equal(Verdict.Deny, Decide(badDataPeriod).Verdict);

        // References and UIDs that cannot be read name nothing, not "whatever the text happens to end in".
        Assert.Equal(DecisionBasis.Policy, Decide(NewConsent("OPTIN", Permit(Ml, actors: ["ftp://x/" + VendorA]))).Basis);
        Assert.Equal(DecisionBasis.Policy, Decide(NewConsent("OPTIN", Permit(Ml, data: ["urn:oid:" + Uid + ".x"]))).Basis);
        Assert.Equal(DecisionBasis.Policy, Decide(NewConsent("OPTIN", Permit(Ml, data: ["ImagingStudy/s1/_history/x_1"]))).Basis);
        Assert.Throws<ArgumentException>(() => Request(actor: "urn:uuid:0b0b3f4c-9c9d-4a35-9b1e-1d2f3a4b5c6d"));
    }

    [Fact]
    public void Before_and_after_a_revocation()
    {
        var active = NewConsent("OPTIN", Permit(Ml));
        var revoked = NewConsent("OPTIN", Permit(Ml), status: Consent.ConsentState.Inactive);
        var v1 = Compile(active, "c1", "1", new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var v2 = Compile(revoked, "c1", "2", new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero));
        var before = Decide([v1], at: new DateTimeOffset(2025, 2, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal((Verdict.Permit, "Consent/c1/_history/1"), (before.Verdict, before.ConsentReference));
        var after = Decide([v2], at: new DateTimeOffset(2025, 4, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal((Verdict.Deny, DecisionBasis.Policy), (after.Verdict, after.Basis));
        Assert.Contains(after.Reasons, r => r.Text.Contains("status inactive", StringComparison.Ordinal));
    }

    [Fact]
    public void Candidates_filtered_by_status_and_scope_then_newest_first()
    {
        foreach (var status in new[] { Consent.ConsentState.Draft, Consent.ConsentState.Proposed,
                     Consent.ConsentState.Rejected, Consent.ConsentState.EnteredInError })
            Assert.Equal(DecisionBasis.Policy, Decide(NewConsent("OPTIN", Permit(Ml), status: status)).Basis);
        Assert.Equal(DecisionBasis.Policy, Decide(NewConsent("OPTIN", Permit(Ml), scope: "treatment")).Basis);
        Assert.Equal(Verdict.Permit, Decide(NewConsent("OPTIN", Permit(Ml), scope: "research")).Verdict);

        var older = Compile(NewConsent("OPTIN", Permit(Ml), dateTime: "2023-01-01"), "old");
        var newer = Compile(NewConsent("OPTOUT", Deny(), dateTime: "2024-06-01"), "new");
        var d = Decide([older, newer]);
        Assert.Equal((Verdict.Deny, "new"), (d.Verdict, d.ConsentId));

        var tieA = Compile(NewConsent("OPTIN", Permit(Ml)), "a", "1", new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var tieB = Compile(NewConsent("OPTOUT", Deny()), "b", "1", new DateTimeOffset(2024, 2, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal("b", Decide([tieA, tieB]).ConsentId);

        // a newer consent that does not speak (research only) leaves the decision to the older one
        var research = Compile(NewConsent("OPTIN", Permit(["HRESCH"]), dateTime: "2025-01-01"), "r");
        Assert.Equal("old", Decide([research, older]).ConsentId);
    }

    [Fact]
    public void Root_type_standing_in_for_policy_and_undetermined_base_answer()
    {
        Assert.Equal(Verdict.Permit, Decide(NewConsent("", Permit(Ml))).Verdict);
        Assert.Equal(Verdict.Deny, Decide(NewConsent("", Deny())).Verdict);
        var contradictory = Decide(NewConsent("OPTOUT", Permit(Ml)));
        Assert.Equal((Verdict.Deny, DecisionBasis.Consent), (contradictory.Verdict, contradictory.Basis));
        Assert.Contains(contradictory.Reasons, r => r.Text.Contains("cannot be determined", StringComparison.Ordinal));
        var nothing = Decide(NewConsent("", Provision(purposes: Ml, exceptions: Permit(Ml))));
        Assert.Equal((Verdict.Deny, DecisionBasis.Consent), (nothing.Verdict, nothing.Basis));
    }

    [Fact]
    public void Face_bearing_studies_also_require_defacing()
    {
        var consent = Compile(NewConsent("OPTIN", Permit(Ml)));
        string[] Codes(string modality, string? site) => Decide([consent], Study(modality, site)).Obligations.Select(o => o.Code).ToArray();
        Assert.Equal(["DEID", "113102"], Codes("MR", "12738006"));
        Assert.Equal(["DEID", "113102"], Codes("CT", "45048000"));
        Assert.Equal(["DEID", "113102"], Codes("PT", "363654007")); // orbit, a head descendant
        Assert.Equal(["DEID", "113102"], Codes("CT", null)); // no body site: fail safe
        Assert.Equal(["DEID"], Codes("CT", "51185008"));
        Assert.Equal(["DEID"], Codes("CR", "69536005")); // skull radiograph is not in the modality list
        Assert.Equal(Obligations.Deface.System, Decide([consent], Study("MR", "69536005")).Obligations[1].System);
    }

    [Fact]
    public void Consent_reasons_are_marked_as_quoting_consent()
    {
        var d = Decide(NewConsent("OPTIN", Permit(Ml, exceptions: Deny(actors: [VendorA]))));
        Assert.Contains(d.Reasons, r => r.QuotesConsent && r.Text.Contains("Consent/c1", StringComparison.Ordinal));
        Assert.Contains(d.Reasons, r => r.QuotesConsent && r.Text.Contains(VendorA, StringComparison.Ordinal));
    }

    [Fact]
    public void Many_candidates_beyond_the_stack_buffer_still_sort()
    {
        var consents = Enumerable.Range(0, 100)
            .Select(i => Compile(NewConsent(i == 37 ? "OPTOUT" : "OPTIN", i == 37 ? Deny() : Permit(Ml), dateTime: $"2024-01-01T00:{i / 60:00}:{i % 60:00}Z"), $"c{i:000}"))
            .ToList();
        Assert.Equal("c099", Decide(consents).ConsentId);
    }
}

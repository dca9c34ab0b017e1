using Hl7.Fhir.Model;

namespace ConsentService.Domain.Fhir;

/// <summary>
/// The DICOM Study Instance UID of an ImagingStudy: the unique key behind "one study per UID" and the study
/// identity a consent's data condition names. R4 carries it as an identifier with system <c>urn:dicom:uid</c> and
/// value <c>urn:oid:&lt;uid&gt;</c>; a bare <c>&lt;uid&gt;</c> value is accepted too. Keys are the bare UID, so both
/// spellings of one UID clash. A value that is not a valid UID is no UID at all: it never becomes a key.
/// </summary>
public static class StudyUidKey
{
    public const string DicomUidSystem = CodeSystems.DicomUid;
    public const string OidPrefix = "urn:oid:";

    /// <summary>The distinct, valid Study Instance UIDs of <paramref name="study"/> (bare, e.g. "1.2.840.1").</summary>
    public static IReadOnlyList<string> For(ImagingStudy study)
    {
        ArgumentNullException.ThrowIfNull(study);
        return Of(study.Identifier.Where(i => i is not null).Select(i => (i.System, i.Value)));
    }

    /// <summary>The distinct, valid Study Instance UIDs among identifiers given as (system, value), in their order
    /// (bare): the one rule for the POCO (<see cref="For"/>) and for stored JSON.</summary>
    public static IReadOnlyList<string> Of(IEnumerable<(string? System, string? Value)> identifiers)
    {
        List<string>? keys = null;
        foreach (var (system, value) in identifiers)
        {
            if (system != DicomUidSystem || !TryNormalize(value, out var uid)) continue;
            keys ??= [];
            if (!keys.Contains(uid)) keys.Add(uid);
        }
        return keys ?? (IReadOnlyList<string>)[];
    }

    /// <summary>
    /// "urn:oid:1.2.3" or "1.2.3" gives "1.2.3" when it is a valid DICOM UID. The URN scheme and namespace are
    /// case-insensitive (RFC 8141), so "URN:OID:1.2.3" gives the same UID.
    /// </summary>
    public static bool TryNormalize(string? value, out string uid)
    {
        uid = string.Empty;
        if (value is null) return false;
        var bare = HasOidPrefix(value) ? value[OidPrefix.Length..] : value;
        if (!IsValidUid(bare)) return false;
        uid = bare;
        return true;
    }

    /// <summary>Whether <paramref name="value"/> is spelled as an OID URN ("urn:oid:...").</summary>
    public static bool HasOidPrefix(string value) => value.StartsWith(OidPrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// DICOM PS3.5 §9.1 on an ISO OID root: at most 64 characters, <c>^[0-2](\.(0|[1-9][0-9]*))*$</c>, that is
    /// dot-separated numeric components without leading zeros, the first being the OID root arc 0, 1 or 2.
    /// </summary>
    public static bool IsValidUid(ReadOnlySpan<char> uid)
    {
        if (uid.IsEmpty || uid.Length > 64 || uid[0] is < '0' or > '2' || (uid.Length > 1 && uid[1] != '.')) return false;
        var componentStart = 0;
        for (var i = 0; i <= uid.Length; i++)
        {
            if (i < uid.Length && uid[i] != '.')
            {
                if (!char.IsAsciiDigit(uid[i])) return false;
                continue;
            }
            var length = i - componentStart;
            if (length == 0 || (length > 1 && uid[componentStart] == '0')) return false;
            componentStart = i + 1;
        }
        return true;
    }

    /// <summary>The matcher key "urn:dicom:uid|&lt;uid&gt;" a study is known by through its bare UID.</summary>
    public static string Of(string bareUid) => CodeKey.Of(DicomUidSystem, bareUid);
}

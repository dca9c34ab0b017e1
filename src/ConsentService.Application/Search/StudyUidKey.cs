using Hl7.Fhir.Model;

namespace ConsentService.Application.Search;

/// <summary>
/// The DICOM Study Instance UID of an ImagingStudy, the unique key behind "one study per UID". R4 carries it as an
/// identifier with system <c>urn:dicom:uid</c> and value <c>urn:oid:&lt;uid&gt;</c>; a bare <c>&lt;uid&gt;</c> value is
/// accepted too. Keys are the bare UID, so both spellings of one UID clash.
/// </summary>
public static class StudyUidKey
{
    public const string DicomUidSystem = "urn:dicom:uid";
    public const string OidPrefix = "urn:oid:";

    /// <summary>The distinct, valid Study Instance UIDs of <paramref name="study"/> (bare, e.g. "1.2.840.1").</summary>
    public static IReadOnlyList<string> For(ImagingStudy study)
    {
        List<string>? keys = null;
        foreach (var identifier in study.Identifier)
        {
            if (identifier?.System != DicomUidSystem || !TryNormalize(identifier.Value, out var uid)) continue;
            keys ??= [];
            if (!keys.Contains(uid)) keys.Add(uid);
        }
        return keys ?? (IReadOnlyList<string>)[];
    }

    /// <summary>"urn:oid:1.2.3" or "1.2.3" gives "1.2.3" when it is a valid DICOM UID.</summary>
    public static bool TryNormalize(string? value, out string uid)
    {
        uid = string.Empty;
        if (value is null) return false;
        var bare = value.StartsWith(OidPrefix, StringComparison.Ordinal) ? value[OidPrefix.Length..] : value;
        if (!IsValidUid(bare)) return false;
        uid = bare;
        return true;
    }

    /// <summary>DICOM PS3.5 §9.1: at most 64 characters, dot-separated numeric components without leading zeros.</summary>
    public static bool IsValidUid(ReadOnlySpan<char> uid)
    {
        if (uid.IsEmpty || uid.Length > 64) return false;
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

    /// <summary>Indexes a DICOM UID identifier under both spellings, so that <c>identifier=urn:dicom:uid|urn:oid:1.2.3</c>
    /// and <c>identifier=urn:dicom:uid|1.2.3</c> both find it, whichever spelling the study used.</summary>
    internal static void AddSearchForms(Identifier identifier, IndexCollector collector)
    {
        if (identifier.System != DicomUidSystem || !TryNormalize(identifier.Value, out var uid)) return;
        collector.Token(DicomUidSystem, uid);
        collector.Token(DicomUidSystem, OidPrefix + uid);
    }
}

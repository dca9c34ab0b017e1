using ConsentService.Application.Ports;
using ConsentService.Domain.Fhir;
using Hl7.Fhir.Model;
using SearchParamType = ConsentService.Application.Ports.SearchParamType;

namespace ConsentService.Application.Search;

/// <summary>
/// Collects the index entries of one resource, parameter by parameter. Converts FHIR datatypes to entries the way
/// R4 search defines them: every coding of a CodeableConcept, identifier system+value, literal references
/// normalised to "Type/id", identifier-only references as Token entries, dates as their implicit UTC range.
/// Duplicate entries (same parameter and value) are written once.
/// </summary>
internal sealed class IndexCollector
{
    private readonly List<SearchIndexEntry> _entries = [];
    private SearchParameterDefinition _parameter = null!;

    public IReadOnlyList<SearchIndexEntry> Entries => _entries;

    public void Begin(SearchParameterDefinition parameter) => _parameter = parameter;

    public void Token(string? system, string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        Add(new SearchIndexEntry(_parameter.Name, SearchParamType.Token, string.IsNullOrEmpty(system) ? null : system, value));
    }

    /// <summary>A <c>code</c> element (e.g. an R4 enum): its FHIR literal, no system.</summary>
    public void Code(PrimitiveType? code) => Token(null, code?.JsonValue as string);

    public void Coding(Coding? coding)
    {
        if (coding is not null) Token(coding.System, coding.Code);
    }

    public void Codings(List<Coding>? codings)
    {
        if (codings is null) return;
        foreach (var coding in codings) Coding(coding);
    }

    /// <summary>The coding selected from each item, e.g. <c>ImagingStudy.series.modality</c>.</summary>
    public void Codings<TItem>(List<TItem>? items, Func<TItem, Coding?> select)
    {
        if (items is null) return;
        foreach (var item in items) Coding(select(item));
    }

    public void Concept(CodeableConcept? concept)
    {
        if (concept is not null) Codings(concept.Coding);
    }

    public void Concepts(List<CodeableConcept>? concepts)
    {
        if (concepts is null) return;
        foreach (var concept in concepts) Concept(concept);
    }

    public void Identifier(Identifier? identifier)
    {
        if (identifier is not null) Token(identifier.System, identifier.Value);
    }

    /// <param name="extraForms">Adds further searchable forms of an identifier (e.g. a DICOM UID with and without "urn:oid:").</param>
    public void Identifiers(List<Identifier>? identifiers, Action<Identifier, IndexCollector>? extraForms = null)
    {
        if (identifiers is null) return;
        foreach (var identifier in identifiers)
        {
            Identifier(identifier);
            if (identifier is not null) extraForms?.Invoke(identifier, this);
        }
    }

    /// <summary>
    /// A literal reference becomes a Reference entry "Type/id"; a logical reference (Reference.identifier) becomes
    /// a Token entry under the same parameter name. Contained ("#x") and unparseable references yield nothing.
    /// </summary>
    /// <param name="requiredType">Only index when the reference points to this type (literal type, or Reference.type
    /// for a reference without a literal).</param>
    public void Reference(ResourceReference? reference, string? requiredType = null)
    {
        if (reference is null) return;
        var hasLiteral = FhirReferences.TryNormalize(reference.Reference, out var type, out var typeAndId);
        var referencedType = hasLiteral ? type : reference.Type;
        if (requiredType is not null && !string.Equals(referencedType, requiredType, StringComparison.Ordinal)) return;
        if (hasLiteral) Add(new SearchIndexEntry(_parameter.Name, SearchParamType.Reference, null, typeAndId));
        Identifier(reference.Identifier);
    }

    public void References(List<ResourceReference>? references)
    {
        if (references is null) return;
        foreach (var reference in references) Reference(reference);
    }

    /// <summary>The reference selected from each item, e.g. <c>Consent.provision.actor.reference</c>.</summary>
    public void References<TItem>(List<TItem>? items, Func<TItem, ResourceReference?> select)
    {
        if (items is null) return;
        foreach (var item in items) Reference(select(item));
    }

    /// <summary>A date, dateTime, instant or Period as its inclusive UTC range; an open Period end is Min/MaxValue.</summary>
    public void Date(DataType? value)
    {
        DateTimeOffset low, high;
        switch (value)
        {
            case Period period:
                var hasStart = TryRange(period.StartElement, out low, out _);
                var hasEnd = TryRange(period.EndElement, out _, out high);
                if (!hasStart && !hasEnd) return;
                if (!hasStart) low = DateTimeOffset.MinValue;
                if (!hasEnd) high = DateTimeOffset.MaxValue;
                break;
            case PrimitiveType primitive:
                if (!TryRange(primitive, out low, out high)) return;
                break;
            default:
                return;
        }

        Add(new SearchIndexEntry(_parameter.Name, SearchParamType.Date, null, null, low, high));
    }

    private static bool TryRange(PrimitiveType? primitive, out DateTimeOffset low, out DateTimeOffset high)
    {
        low = high = default;
        return primitive?.JsonValue is string text && FhirDateRange.TryParse(text, out low, out high);
    }

    private void Add(SearchIndexEntry entry)
    {
        if (!_entries.Contains(entry)) _entries.Add(entry);
    }
}

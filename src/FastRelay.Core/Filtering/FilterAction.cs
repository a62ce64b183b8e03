namespace FastRelay.Filtering;

/// <summary>What a rule does with a connection it matches (policy-format.md, <c>Action</c>).</summary>
internal enum FilterAction
{
    /// <summary>The connection may proceed.</summary>
    Allow,

    /// <summary>The connection is closed at once.</summary>
    Deny,
}

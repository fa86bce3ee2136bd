namespace Ompq.Runtime.Search;

/// <summary>How a unit's contribution to the ORM is formed (spec §3); both give the same matrix up to rounding.</summary>
public enum OrmForm
{
    /// <summary>Feature-space form for units whose feature size d_i is below the batch size n, Gram form otherwise.</summary>
    Auto,
    /// <summary>n×n centred Gram K̃_i = H·X_i·X_iᵀ·H for every unit.</summary>
    Gram,
    /// <summary>Column-centred features X̄_i kept on the device; products through X̄_jᵀ·X̄_i (d_j×d_i) for every unit.</summary>
    Feature,
}

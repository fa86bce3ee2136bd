using System.Text.Json;
using Ompq.Host.Options;
using Ompq.Runtime.Search;

namespace Ompq.Host.Reports;

/// <summary>
/// The search result as JSON. Field order and number formatting are fixed (shortest round-trip doubles), so the
/// same inputs give byte-identical output apart from <c>timings_s</c>. <c>method</c> says which method chose the widths;
/// a baseline's report has the same fields (no ORM: an empty <c>orm</c>, <c>orm_form</c> "none", γ = θ = 0) plus its
/// own section (<see cref="BaselineReportJson"/>).
/// </summary>
public static class SearchReportJson
{
    public sealed record Context(int Seed, string Data, string Weights, double SetupSeconds, string Preprocess);

    public static byte[] Write(SearchResult r, Context context)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            var o = r.Options;
            w.WriteStartObject();
            w.WriteString("model", r.Model);
            w.WriteString("mode", EnumSpelling.Of(r.Mode));
            w.WriteString("method", EnumSpelling.Of(r.Method));
            w.WriteString("device", r.Device);
            w.WriteNumber("seed", context.Seed);
            w.WriteNumber("images", r.Images);
            w.WriteString("data", context.Data);
            w.WriteString("preprocess", context.Preprocess);
            w.WriteString("weights", context.Weights);
            w.WriteNumber("beta", o.Beta);
            // Units' theta is θ_i / max θ; the spec's exp(−β·γ_i) is theta·exp(theta_log_scale) (often below 1e-308).
            w.WriteNumber("theta_log_scale", r.ThetaLogScale);
            w.WriteString("accounting", EnumSpelling.Of(o.Accounting));
            w.WriteString("bn", EnumSpelling.Of(o.BatchNorm));
            w.WriteString("coefficients", EnumSpelling.Of(o.Coefficients));
            w.WriteString("bits_range", o.Bits.ToString());
            w.WriteNumber("act_bits", o.ActivationBits);

            w.WriteStartObject("solver");
            w.WriteString("continuous", r.ContinuousMethod);
            w.WriteString("integer", r.IntegerMethod);
            w.WriteNumber("integer_work", r.SolverNodes);
            w.WriteBoolean("integer_proven_optimal", r.IntegerProvenOptimal);
            w.WriteEndObject();

            w.WriteNumber("size_mib", r.SizeMiB);
            w.WriteNumber("size_mib_pinned_accounting", r.SizePinnedMiB);
            w.WriteNumber("budget_mib", o.SizeBudgetMiB);
            w.WriteNumber("size_slack_mib", r.SizeSlackMiB);
            w.WriteNumber("size_continuous_mib", r.SizeContinuousMiB);
            w.WriteNumber("bitops_g", r.BitOpsG);
            if (o.BitOpsBudgetG is { } budget) w.WriteNumber("bitops_budget_g", budget); else w.WriteNull("bitops_budget_g");
            if (r.BitOpsSlackG is { } slack) w.WriteNumber("bitops_slack_g", slack); else w.WriteNull("bitops_slack_g");
            w.WriteNumber("objective_continuous", r.ObjectiveContinuous);
            w.WriteNumber("objective_integer", r.ObjectiveInteger);
            w.WriteStartArray("warnings");
            foreach (string warning in r.Warnings) w.WriteStringValue(warning);
            w.WriteEndArray();

            w.WriteStartArray("units");
            foreach (var u in r.Units)
            {
                w.WriteStartObject();
                w.WriteString("name", u.Name);
                w.WriteStartArray("layers");
                foreach (var layer in u.Layers) w.WriteStringValue(layer);
                w.WriteEndArray();
                w.WriteNumber("params", u.Params);
                w.WriteNumber("macs", u.Macs);
                w.WriteNumber("feature_size", u.FeatureSize);
                w.WriteString("orm_form", r.Method != SearchMethod.Ompq ? "none" : EnumSpelling.Of(u.Form));
                w.WriteBoolean("pinned", u.Pinned);
                w.WriteNumber("bits", u.Bits);
                w.WriteNumber("bits_continuous", u.BitsContinuous);
                w.WriteNumber("gamma", u.Gamma);
                w.WriteNumber("theta", u.Theta);
                w.WriteNumber("coefficient", u.Coefficient);
                w.WriteEndObject();
            }
            w.WriteEndArray();

            w.WriteStartObject("fixed");
            w.WriteStartArray("layers");
            foreach (var layer in r.Fixed.Layers) w.WriteStringValue(layer);
            w.WriteEndArray();
            w.WriteNumber("params", r.Fixed.Params);
            w.WriteNumber("macs", r.Fixed.Macs);
            w.WriteNumber("bits", CostModel.FixedLayerBits);
            w.WriteEndObject();

            w.WriteStartArray("orm");
            int l = r.Orm.GetLength(0);
            for (int i = 0; i < l; i++)
            {
                w.WriteStartArray();
                for (int j = 0; j < l; j++) w.WriteNumberValue(r.Orm[i, j]);
                w.WriteEndArray();
            }
            w.WriteEndArray();

            BaselineReportJson.WriteDetails(w, r);

            w.WriteStartObject("timings_s");
            w.WriteNumber("setup", context.SetupSeconds);
            w.WriteNumber("features", r.Timings.Features);
            w.WriteNumber("orm", r.Timings.Orm);
            if (r.Method == SearchMethod.Hawq) w.WriteNumber("hessian", r.Timings.Hessian);
            w.WriteNumber("solve", r.Timings.Solve);
            w.WriteNumber("total", r.Timings.Total);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }
}

using System.Text.Json;
using Ompq.Host.Options;
using Ompq.Runtime.Search;
using Ompq.Runtime.Search.Baselines;

namespace Ompq.Host.Reports;

/// <summary>The section a baseline adds to the search report: "hessian", "random" or "uniform" (nothing for OMPQ).</summary>
public static class BaselineReportJson
{
    public static void WriteDetails(Utf8JsonWriter w, SearchResult r)
    {
        if (r.Hessian is { } h)
        {
            w.WriteStartObject("hessian");
            w.WriteString("objective", HessianDetails.Objective);
            w.WriteString("estimator", EnumSpelling.Of(h.Estimator));
            w.WriteString("estimate", h.Description);
            w.WriteNumber("probes", h.Probes);
            w.WriteNumber("relative_step", h.RelativeStep);
            w.WriteNumber("images", h.Images);
            w.WriteNumber("seed", h.Seed);
            w.WriteStartArray("units");
            foreach (var u in h.Units)
            {
                w.WriteStartObject();
                w.WriteString("name", u.Name);
                w.WriteNumber("weights", u.Weights);
                w.WriteNumber("trace", u.Trace);
                // Standard error of the mean over the probes: the estimate's statistical error.
                w.WriteNumber("trace_std_error", u.TraceStdError);
                w.WriteNumber("mean_trace", u.MeanTrace);
                w.WriteNumber("min_bits", u.MinBits);
                w.WriteStartArray("quantization_error");
                foreach (double e in u.QuantizationError) w.WriteNumberValue(e);
                w.WriteEndArray();
                w.WriteStartArray("cost");
                foreach (double c in u.Cost) w.WriteNumberValue(c);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        if (r.Random is { } random)
        {
            w.WriteStartObject("random");
            w.WriteString("rule", RandomDetails.Rule);
            w.WriteNumber("seed", random.Seed);
            w.WriteNumber("draws", random.Draws);
            w.WriteNumber("chosen_draw", random.ChosenDraw);
            w.WriteEndObject();
        }
        if (r.Uniform is { } uniform)
        {
            w.WriteStartObject("uniform");
            w.WriteString("rule", UniformDetails.Rule);
            w.WriteNumber("bits", uniform.Bits);
            w.WriteEndObject();
        }
    }
}

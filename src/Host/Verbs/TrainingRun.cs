using Ompq.Host.Plots;
using Ompq.Host.Reports;
using Ompq.Kernels;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Training;

namespace Ompq.Host.Verbs;

/// <summary>
/// What `ompq train` and `ompq qat` do once their trainer is set up: run it with the progress line, write the
/// checkpoint at every checkpoint the trainer asks for, print each finished epoch (and redraw the --plots curves, so
/// a run stopped early still has them), then the summary or --json.
/// </summary>
internal static class TrainingRun
{
    public static void Execute(CliContext context, Trainer trainer, GraphModel model, IKernels kernels, ILabelledImages train,
        ILabelledImages? test, TrainingState state, string dataset, string checkpointPath, bool json, string? plotsFolder)
    {
        var bar = new ProgressLine(context.Error, context.InteractiveError && !json);
        Func<EvaluationResult>? evaluate = test is null ? null : () => Evaluator.Run(model, kernels, test);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int reported = state.History.Count;
        TrainingState final;
        try
        {
            final = trainer.Run(state, s =>
            {
                TrainingCheckpoint.Capture(trainer, dataset, s).Save(checkpointPath);
                if (s.Batch == 0 && s.History.Count > reported)
                {
                    bar.Clear();
                    if (!json) TrainingReport.WriteEpoch(context.Out, s.History[^1], trainer.Options.Epochs);
                    if (plotsFolder is not null)
                        TrainingCurves.Render(s.History, $"{model.Name} on {train.Name}").WriteTo(plotsFolder, "--plots");
                    reported = s.History.Count;
                }
            }, bar.Reporting<TrainingProgress>(TrainingReport.ProgressText, p => p.Batch == p.Batches), evaluate);
        }
        finally
        {
            bar.Clear();
        }
        var summary = new TrainingReport.Summary(model.Name, train.Name, kernels.Info, trainer.Options, final, clock.Elapsed.TotalSeconds,
            checkpointPath, ProcessMemory.PeakResidentBytes());
        if (json) context.Out.Write(TrainingReport.Json(summary));
        else TrainingReport.WriteSummary(context.Out, summary);
    }
}

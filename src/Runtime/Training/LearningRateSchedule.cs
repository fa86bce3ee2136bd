namespace Ompq.Runtime.Training;

public enum ScheduleKind
{
    Constant,
    Cosine,
    Step,
}

/// <summary>
/// Learning rate per optimizer step: a linear warm-up from BaseLr/WarmupSteps to BaseLr over the first
/// <see cref="WarmupSteps"/>, then constant, cosine annealing to 0 at <see cref="TotalSteps"/>, or multiplied by
/// <see cref="Gamma"/> at each milestone step. A pure function of the step, so a resumed run gets the same rates.
/// </summary>
public sealed record LearningRateSchedule(ScheduleKind Kind, float BaseLr, long TotalSteps, long WarmupSteps = 0,
    IReadOnlyList<long>? MilestoneSteps = null, float Gamma = 0.1f)
{
    public float At(long step)
    {
        if (WarmupSteps > 0 && step < WarmupSteps) return BaseLr * (step + 1) / WarmupSteps;
        switch (Kind)
        {
            case ScheduleKind.Cosine:
                long span = Math.Max(1, TotalSteps - WarmupSteps);
                double t = Math.Clamp((double)(step - WarmupSteps) / span, 0, 1);
                return (float)(BaseLr * 0.5 * (1 + Math.Cos(Math.PI * t)));
            case ScheduleKind.Step:
                int passed = MilestoneSteps?.Count(m => step >= m) ?? 0;
                return (float)(BaseLr * Math.Pow(Gamma, passed));
            default:
                return BaseLr;
        }
    }
}

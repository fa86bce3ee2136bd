namespace Ompq.Kernels;

/// <summary>Hyper-parameters of one SGD update (the learning rate already scheduled for this step).</summary>
public readonly record struct SgdStep(float Lr, float Momentum = 0f, float WeightDecay = 0f, bool Nesterov = false, bool FirstStep = false)
{
    public void Validate()
    {
        if (!(Lr >= 0) || float.IsInfinity(Lr)) throw new KernelArgumentException($"learning rate must be a finite number >= 0, got {Lr}");
        if (!(Momentum >= 0 && Momentum < 1)) throw new KernelArgumentException($"momentum must be in [0, 1), got {Momentum}");
        if (!(WeightDecay >= 0) || float.IsInfinity(WeightDecay)) throw new KernelArgumentException($"weight decay must be a finite number >= 0, got {WeightDecay}");
        if (Nesterov && Momentum == 0) throw new KernelArgumentException("Nesterov momentum needs momentum > 0");
    }
}

/// <summary>Hyper-parameters of one Adam/AdamW update; <see cref="Step"/> counts from 1 (bias correction).</summary>
public readonly record struct AdamStep(float Lr, int Step, float Beta1 = 0.9f, float Beta2 = 0.999f, float Eps = 1e-8f,
    float WeightDecay = 0f, bool Decoupled = false)
{
    public void Validate()
    {
        if (!(Lr >= 0) || float.IsInfinity(Lr)) throw new KernelArgumentException($"learning rate must be a finite number >= 0, got {Lr}");
        if (Step < 1) throw new KernelArgumentException($"Adam step must be >= 1, got {Step}");
        if (!(Beta1 >= 0 && Beta1 < 1) || !(Beta2 >= 0 && Beta2 < 1)) throw new KernelArgumentException($"Adam betas must be in [0, 1), got {Beta1}, {Beta2}");
        if (!(Eps > 0) || float.IsInfinity(Eps)) throw new KernelArgumentException($"Adam eps must be a positive finite number, got {Eps}");
        if (!(WeightDecay >= 0) || float.IsInfinity(WeightDecay)) throw new KernelArgumentException($"weight decay must be a finite number >= 0, got {WeightDecay}");
    }
}

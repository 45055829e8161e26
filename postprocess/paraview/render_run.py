"""Renders an `attnpde run` output folder with ParaView (pvbatch): the last frame of the PDE
field (fields.pvd, array u_pde) with the tokens on top (tokens.pvd) coloured by u_attn in the
same colour map, and a second picture of the tokens coloured by their error u_attn - u_pde. It
also saves a ParaView state (.pvsm) with both readers and the first view set up, which the
ParaView GUI opens with File > Load State (choose "Search files under specified directory"
if the run folder moved).

    PYTHONPATH=<python3-paraview>/usr/lib/python3/dist-packages \\
        xvfb-run -a pvbatch postprocess/paraview/render_run.py RUN_DIR [OUT_DIR]

Writes OUT_DIR/tokens_over_field.png, OUT_DIR/error.png and OUT_DIR/run.pvsm (OUT_DIR
defaults to RUN_DIR/paraview) and prints one JSON line per picture with the colour range and
the data range of the coloured arrays. Ends with os._exit: ParaView's GL teardown can fail
under Xvfb after everything is written."""
import json
import os
import sys

from paraview.simple import (ColorBy, CreateView, GetColorTransferFunction, GetScalarBar, Hide,
                             PVDReader, SaveScreenshot, SaveState, Show, Slice, UpdatePipeline)


def point_range(source, name):
    source.UpdatePipeline(source.TimestepValues[-1] if source.TimestepValues else 0.0)
    info = source.PointData[name]
    return list(info.GetRange(0))


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    run = os.path.abspath(argv[1])
    out = os.path.abspath(argv[2]) if len(argv) > 2 else os.path.join(run, "paraview")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(run, "manifest.json")) as f:
        manifest = json.load(f)
    dim = int(manifest["case"]["domain"]["dim"])

    fields = PVDReader(registrationName="fields.pvd", FileName=os.path.join(run, "fields.pvd"))
    tokens = PVDReader(registrationName="tokens.pvd", FileName=os.path.join(run, "tokens.pvd"))
    t_last = tokens.TimestepValues[-1] if tokens.TimestepValues else 0.0
    fields.UpdatePipeline(t_last)
    tokens.UpdatePipeline(t_last)

    view = CreateView("RenderView")
    view.ViewSize = [1200, 900]
    view.ViewTime = t_last
    view.OrientationAxesVisibility = 0
    view.Background = [1.0, 1.0, 1.0]
    try:
        view.UseColorPaletteForBackground = 0
    except AttributeError:
        pass

    # The field: the image itself in 1D and 2D, its mid-plane z slice in 3D.
    shown = fields
    if dim == 3:
        shown = Slice(registrationName="mid-plane", Input=fields)
        shown.SliceType = "Plane"
        bounds = fields.GetDataInformation().GetBounds()
        shown.SliceType.Origin = [0.5 * (bounds[0] + bounds[1]), 0.5 * (bounds[2] + bounds[3]),
                                  0.5 * (bounds[4] + bounds[5])]
        shown.SliceType.Normal = [0.0, 0.0, 1.0]
        shown.UpdatePipeline(t_last)
    field_display = Show(shown, view)
    field_display.SetRepresentationType("Surface")
    ColorBy(field_display, ("POINTS", "u_pde"))
    lut = GetColorTransferFunction("u_pde")
    lut.ApplyPreset("Viridis (matplotlib)", True)

    token_display = Show(tokens, view)
    token_display.SetRepresentationType("Points")
    token_display.PointSize = 3.0
    if dim < 3:
        # Just above the field's plane, so that the field does not hide them.
        b = fields.GetDataInformation().GetBounds()
        token_display.Position = [0.0, 0.0, 0.01 * max(b[1] - b[0], b[3] - b[2])]
    ColorBy(token_display, ("POINTS", "u_attn"))
    token_display.LookupTable = lut  # the field's colour map: tokens read against the field
    # One colour range for both: the union of the field's and the tokens' values.
    f_range = point_range(shown, "u_pde")
    t_range = point_range(tokens, "u_attn")
    data_range = [min(f_range[0], t_range[0]), max(f_range[1], t_range[1])]
    lut.RescaleTransferFunction(data_range[0], data_range[1])
    bar = GetScalarBar(lut, view)
    bar.Title = "u (field: u_pde, tokens: u_attn)"
    bar.ComponentTitle = ""
    bar.TitleColor = bar.LabelColor = [0.0, 0.0, 0.0]
    field_display.SetScalarBarVisibility(view, True)
    if dim < 3:
        view.InteractionMode = "2D"
    view.ResetCamera()
    SaveScreenshot(os.path.join(out, "tokens_over_field.png"), view, ImageResolution=[1200, 900])
    lut_points = lut.RGBPoints
    print(json.dumps({"picture": "tokens_over_field.png", "colour_range": [lut_points[0], lut_points[-4]],
                      "data_range": data_range}))
    SaveState(os.path.join(out, "run.pvsm"))

    # The error at the tokens, in a diverging map centred on zero.
    Hide(shown, view)
    ColorBy(token_display, ("POINTS", "error"))
    err = GetColorTransferFunction("error")
    err.ApplyPreset("Cool to Warm", True)
    e_range = point_range(tokens, "error")
    bound = max(abs(e_range[0]), abs(e_range[1])) or 1.0
    err.RescaleTransferFunction(-bound, bound)
    token_display.LookupTable = err
    ebar = GetScalarBar(err, view)
    ebar.Title = "error u_attn - u_pde at the tokens"
    ebar.ComponentTitle = ""
    ebar.TitleColor = ebar.LabelColor = [0.0, 0.0, 0.0]
    field_display.SetScalarBarVisibility(view, False)
    token_display.SetScalarBarVisibility(view, True)
    SaveScreenshot(os.path.join(out, "error.png"), view, ImageResolution=[1200, 900])
    print(json.dumps({"picture": "error.png", "colour_range": [err.RGBPoints[0], err.RGBPoints[-4]],
                      "data_range": [-bound, bound]}))
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    os._exit(code)

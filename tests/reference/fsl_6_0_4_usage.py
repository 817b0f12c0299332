"""The documented options of each FSL program the workflow runs, in the pinned image
docker://brainlife/fsl:6.0.4-patched2 (FSL 6.0.4; its ``topup`` is FSL 5.0.8's), transcribed from:

* [niwrap] github.com/styx-api/niwrap descriptors/fsl/<program>.json
  @ 18249a9600e18d3695c9ebe45458d94267c61c27 (Boutiques descriptors with "tool-version": "6.0.4" and
  "container-image": "brainlife/fsl:6.0.4-patched2"); each option's ``command-line-flag``.
* [image] github.com/brainlife/dockerfiles fsl-6.0.4/ @ c4ef94fc9b59a58281e5c23ee0106018c71db337:
  build.sh pushes tag 6.0.4-patched2; the Dockerfile installs FSL 6.0.4 (fslinstaller.py -V 6.0.4) and
  puts ``fsl5/topup`` (FSL 5.0.8, fsl5/README) first on PATH. The topup options are the option names
  in that binary (``strings fsl5/topup``).
* [fsl-usage] the programs' usage messages (FSL 6.0), as the existing tests transcribed them, for short
  and long spellings FSL's option parser accepts ("-k,--data" style names).
* [eddy-6.0.6] eddy from FSL 6.0.6 on (eddy_cpu / eddy_cuda behind an ``eddy`` script) takes
  ``--nthr=n`` (https://fsl.fmrib.ox.ac.uk/fsl/docs/diffusion/eddy/users_guide/); eddy_openmp was
  replaced by eddy_cpu in 6.0.6 (https://github.com/Washington-University/HCPpipelines/issues/264).

Each entry: program -> (compulsory options, every documented option). Positional arguments are not
listed (fslmerge, bet, fslmaths, fsl_reg take files by position).
"""

FSL_VERSION = (6, 0, 4)
IMAGE = "docker://brainlife/fsl:6.0.4-patched2"

# [niwrap] eddy_openmp.json; FSL 6.0.4 has no --nthr (threads come from OMP_NUM_THREADS) and no
# ``eddy`` executable ("There is no longer an executable named eddy", eddy UsersGuide of FSL 6.0.x,
# https://fsl.fmrib.ox.ac.uk/fsl/fslwiki/eddy/UsersGuide).
EDDY_OPENMP = (
    {"--imain", "--mask", "--index", "--acqp", "--bvecs", "--bvals", "--out"},
    {"--imain", "--mask", "--index", "--acqp", "--bvecs", "--bvals", "--out", "--mb", "--mb_offs",
     "--slspec", "--json", "--mporder", "--s2v_lambda", "--topup", "--field", "--field_mat", "--flm",
     "--slm", "--fwhm", "--niter", "--s2v_niter", "--cnr_maps", "--residuals", "--fep", "--interp",
     "--s2v_interp", "--resamp", "--nvoxhp", "--initrand", "--ff", "--repol", "--ol_nstd", "--ol_nvox",
     "--ol_type", "--ol_pos", "--ol_sqr", "--estimate_move_by_susceptibility", "--mbs_niter",
     "--mbs_lambda", "--mbs_ksp", "--dont_sep_offs_move", "--dont_peas", "--data_is_shelled", "-v",
     "--verbose", "-h", "--help"},
)

USAGE = {
    # [niwrap] fslmerge.json: fslmerge <-x/y/z/t/a/tr> <output> <file1 file2 .......>
    "fslmerge": (set(), {"-t", "-x", "-y", "-z", "-a", "-n", "-tr"}),
    # [niwrap] fslselectvols.json: fslselectvols -i <in> -o <out> --vols=<list> [-m] [-v]
    "fslselectvols": ({"-i", "-o", "--vols"},
                      {"-i", "-o", "--vols", "-m", "-v", "-h", "--help"}),
    # [image] strings of fsl5/topup (FSL 5.0.8, first on PATH): no --nthr
    "topup": ({"--imain", "--datain"},
              {"--imain", "--datain", "--out", "--fout", "--iout", "--logout", "--warpres", "--subsamp",
               "--fwhm", "--config", "--miter", "--lambda", "--ssqlambda", "--regmod", "--estmov",
               "--minmet", "--splineorder", "--numprec", "--interp", "--scale", "--regrid", "--jacout",
               "--dfout", "--rbmout", "-v", "--verbose", "-h", "--help"}),
    # [niwrap] applytopup.json
    "applytopup": ({"--imain", "--datain", "--inindex", "--topup", "--out"},
                   {"--imain", "--datain", "--inindex", "--topup", "--out", "--method", "--interp",
                    "--datatype", "-v", "--verbose"}),
    # [niwrap] mcflirt.json (``-plots`` writes <out>.par)
    "mcflirt": ({"-in"},
                {"-in", "-out", "-cost", "-bins", "-dof", "-refvol", "-scaling", "-smooth", "-rotation",
                 "-verbose", "-stages", "-init", "-gdt", "-edge", "-meanvol", "-stats", "-mats", "-plots",
                 "-reffile", "-rmsrel", "-rmsabs", "-report", "-spline_final", "-sinc_final",
                 "-nn_final"}),
    # [niwrap] fslmaths.json and [fsl-usage] fslmaths: the operations the workflow uses among the
    # documented ones (fslmaths <in> [ops] <out>)
    "fslmaths": (set(), {"-dt", "-odt", "-add", "-sub", "-mul", "-div", "-rem", "-mas", "-thr", "-uthr",
                         "-bin", "-abs", "-sqr", "-sqrt", "-Tmean", "-Tstd", "-Tmax", "-Tmin", "-Tmedian"}),
    # [niwrap] bet.json: bet <input> <output> [options]
    "bet": (set(), {"-o", "-m", "-s", "-n", "-f", "-g", "-r", "-c", "-t", "-e", "-R", "-S", "-B", "-Z",
                    "-F", "-A", "-A2", "-v", "-d"}),
    "eddy_openmp": EDDY_OPENMP,
    # [niwrap] dtifit.json (-k,--data -o,--out -m,--mask -r,--bvecs -b,--bvals -w,--wls ...) and
    # [fsl-usage] dtifit
    "dtifit": ({"--data", "--out", "--mask", "--bvecs", "--bvals"},
               {"-k", "--data", "-o", "--out", "-m", "--mask", "-r", "--bvecs", "-b", "--bvals", "-V",
                "--verbose", "--cni", "--sse", "-w", "--wls", "--kurt", "--kurtdir", "--littlebit",
                "--save_tensor", "-z", "--zmin", "-Z", "--zmax", "-y", "--ymin", "-Y", "--ymax", "-x",
                "--xmin", "-X", "--xmax", "--gradnonlin"}),
    # [niwrap] flirt.json
    "flirt": ({"-in", "-ref"},
              {"-in", "-ref", "-out", "-omat", "-dof", "-init", "-applyxfm", "-applyisoxfm", "-cost",
               "-searchcost", "-interp", "-bins", "-usesqform", "-nosearch", "-noresample",
               "-searchrx", "-searchry", "-searchrz", "-schedule", "-datatype", "-verbose", "-2D",
               "-anglerep", "-coarsesearch", "-finesearch", "-forcescaling", "-inweight", "-refweight",
               "-minsampling", "-noclamp", "-noresampblur", "-paddingsize", "-setbackground",
               "-sincwidth", "-sincwindow", "-wmseg", "-wmcoords", "-wmnorms", "-fieldmap",
               "-fieldmapmask", "-pedir", "-echospacing", "-bbrtype", "-bbrslope", "-displayinit"}),
    # [niwrap] fsl_reg.json: fsl_reg <input> <reference> <output> [-e] [-a] [-FA] [-flirt "..."]
    # [-fnirt "..."] ($FSLDIR/bin/fsl_reg; -FA: FA_2_FMRIB58_1mm.cnf)
    "fsl_reg": (set(), {"-e", "-a", "-FA", "-flirt", "-fnirt"}),
    # [niwrap] applywarp.json
    "applywarp": ({"--in", "--ref", "--out"},
                  {"-i", "--in", "-r", "--ref", "-o", "--out", "-w", "--warp", "--premat", "--postmat",
                   "-m", "--mask", "--interp", "--abs", "--rel", "-s", "--super", "--superlevel",
                   "-d", "--datatype"}),
}

# [niwrap] applywarp.json --interp choices; [niwrap] applytopup.json --method choices
APPLYWARP_INTERP = {"nn", "trilinear", "sinc", "spline"}
APPLYTOPUP_METHOD = {"jac", "lsr"}

# [eddy-6.0.6] eddy (eddy_cpu) from FSL 6.0.6: eddy_openmp's options and --nthr
EDDY_FROM_6_0_6 = (EDDY_OPENMP[0], EDDY_OPENMP[1] | {"--nthr"})

# files in the image the commands name: $FSLDIR/data/standard (fslinstaller.py, TBSS UserGuide
# https://fsl.fmrib.ox.ac.uk/fsl/fslwiki/TBSS/UserGuide: FMRIB58_FA target) and topup's config in
# $FSLDIR/etc/flirtsch (eddy UsersGuide: topup ... --config=b02b0.cnf)
STANDARD_IMAGES = {"$FSLDIR/data/standard/FMRIB58_FA_1mm", "$FSLDIR/data/standard/MNI152_T1_2mm"}
TOPUP_CONFIGS = {"b02b0.cnf"}

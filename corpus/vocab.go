package corpus

// The word lists below are deliberately small and hand-written: they give each research
// domain a recognisable vocabulary (so domain classifiers and keyword extractors have
// something to find) without shipping a data set. Nothing here contains <, > or &, which
// keeps the hot rendering paths free of escaping work for generated prose.

type venue struct {
	Name, Abbrev string
}

type domain struct {
	Label    string // gold label, stable
	Slug     string // used in DOIs
	Dept     string // "Department of X"
	Nouns    []string
	Adjs     []string
	Methods  []string
	Contexts []string
	Units    []string
	Keywords []string
	Venues   []venue
}

var domains = []domain{
	{
		Label: "neuroscience", Slug: "neuro", Dept: "Neuroscience",
		Nouns:    []string{"synaptic plasticity", "cortical oscillations", "dopamine release", "neuronal excitability", "working memory", "place cell remapping", "dendritic integration", "axonal transport", "spike timing", "neuroinflammation", "hippocampal replay", "sensory gating", "motor learning", "interneuron diversity", "neural coding"},
		Adjs:     []string{"cortical", "hippocampal", "thalamic", "inhibitory", "excitatory", "state-dependent", "layer-specific", "activity-dependent", "circuit-level", "behavioural"},
		Methods:  []string{"two-photon imaging", "optogenetic silencing", "patch-clamp recording", "high-density electrophysiology", "calcium imaging", "diffusion tractography", "functional MRI", "chemogenetic activation"},
		Contexts: []string{"the mouse visual cortex", "freely moving rats", "human prefrontal cortex", "zebrafish larvae", "the primate striatum", "cerebellar circuits", "the olfactory bulb", "aged mice"},
		Units:    []string{"neurons", "mice", "recording sessions", "participants", "slices"},
		Keywords: []string{"synaptic plasticity", "hippocampus", "cortex", "optogenetics", "electrophysiology", "working memory", "dopamine", "neural circuits", "calcium imaging", "interneurons", "oscillations", "learning"},
		Venues:   []venue{{"Journal of Neuroscience", "J. Neurosci."}, {"Neuron", "Neuron"}, {"Nature Neuroscience", "Nat. Neurosci."}, {"Cerebral Cortex", "Cereb. Cortex"}, {"eLife", "eLife"}, {"Journal of Neurophysiology", "J. Neurophysiol."}},
	},
	{
		Label: "genomics", Slug: "genom", Dept: "Genetics",
		Nouns:    []string{"gene expression", "chromatin accessibility", "transcription factor binding", "copy number variation", "alternative splicing", "DNA methylation", "enhancer activity", "structural variants", "allele-specific expression", "genome assembly", "regulatory networks", "somatic mutations", "long non-coding RNAs", "population structure", "gene duplication"},
		Adjs:     []string{"genome-wide", "single-cell", "cis-regulatory", "epigenetic", "tissue-specific", "haplotype-resolved", "long-read", "allelic", "polygenic", "evolutionary"},
		Methods:  []string{"single-cell RNA sequencing", "ATAC-seq", "CRISPR screening", "long-read sequencing", "Hi-C", "whole-genome sequencing", "ChIP-seq", "massively parallel reporter assays"},
		Contexts: []string{"human cell lines", "Arabidopsis thaliana", "tumour samples", "Drosophila melanogaster", "the UK Biobank cohort", "yeast populations", "mouse embryos", "maize inbred lines"},
		Units:    []string{"samples", "genomes", "cells", "loci", "variants"},
		Keywords: []string{"transcriptomics", "epigenomics", "CRISPR", "sequencing", "GWAS", "chromatin", "gene regulation", "splicing", "methylation", "single-cell", "genome assembly", "variant calling"},
		Venues:   []venue{{"Genome Research", "Genome Res."}, {"Nature Genetics", "Nat. Genet."}, {"Nucleic Acids Research", "Nucleic Acids Res."}, {"Genome Biology", "Genome Biol."}, {"PLoS Genetics", "PLoS Genet."}, {"American Journal of Human Genetics", "Am. J. Hum. Genet."}},
	},
	{
		Label: "ecology", Slug: "ecol", Dept: "Ecology and Evolutionary Biology",
		Nouns:    []string{"species richness", "trophic interactions", "habitat fragmentation", "pollinator decline", "seed dispersal", "population dynamics", "community assembly", "invasive species spread", "carbon sequestration", "range shifts", "predator-prey cycles", "soil microbial diversity", "phenological mismatch", "ecosystem resilience", "functional traits"},
		Adjs:     []string{"landscape-scale", "tropical", "temperate", "long-term", "multi-trophic", "spatially explicit", "climate-driven", "freshwater", "montane", "coastal"},
		Methods:  []string{"camera trapping", "environmental DNA metabarcoding", "occupancy modelling", "remote sensing", "mark-recapture surveys", "species distribution models", "stable isotope analysis", "structural equation modelling"},
		Contexts: []string{"boreal forests", "coral reef systems", "alpine grasslands", "agricultural landscapes", "Amazonian floodplains", "temperate lakes", "urban green spaces", "Mediterranean shrublands"},
		Units:    []string{"plots", "sites", "species", "transects", "years"},
		Keywords: []string{"biodiversity", "climate change", "community ecology", "conservation", "pollination", "population dynamics", "habitat loss", "food webs", "invasive species", "functional traits", "ecosystem services", "phenology"},
		Venues:   []venue{{"Ecology Letters", "Ecol. Lett."}, {"Journal of Ecology", "J. Ecol."}, {"Global Change Biology", "Glob. Change Biol."}, {"Oikos", "Oikos"}, {"Ecological Applications", "Ecol. Appl."}, {"Journal of Animal Ecology", "J. Anim. Ecol."}},
	},
	{
		Label: "machine learning", Slug: "ml", Dept: "Computer Science",
		Nouns:    []string{"representation learning", "gradient descent", "attention mechanisms", "generalisation bounds", "reinforcement learning", "contrastive objectives", "model calibration", "adversarial robustness", "graph neural networks", "few-shot learning", "knowledge distillation", "sparse mixtures of experts", "domain adaptation", "language models", "uncertainty estimation"},
		Adjs:     []string{"self-supervised", "scalable", "differentiable", "robust", "probabilistic", "efficient", "multimodal", "over-parameterised", "federated", "causal"},
		Methods:  []string{"transformer architectures", "variational inference", "stochastic gradient methods", "kernel methods", "Bayesian optimisation", "diffusion models", "policy gradient methods", "low-rank adaptation"},
		Contexts: []string{"image classification benchmarks", "large text corpora", "continuous control tasks", "molecular property prediction", "tabular data", "speech recognition", "recommender systems", "out-of-distribution settings"},
		Units:    []string{"datasets", "models", "runs", "tasks", "parameters"},
		Keywords: []string{"deep learning", "neural networks", "optimisation", "transformers", "reinforcement learning", "representation learning", "generalisation", "robustness", "Bayesian inference", "graph learning", "self-supervision", "benchmarks"},
		Venues:   []venue{{"Journal of Machine Learning Research", "J. Mach. Learn. Res."}, {"Advances in Neural Information Processing Systems", "Adv. Neural Inf. Process. Syst."}, {"Proceedings of the International Conference on Machine Learning", "Proc. ICML"}, {"Machine Learning", "Mach. Learn."}, {"Transactions on Machine Learning Research", "Trans. Mach. Learn. Res."}, {"Neural Computation", "Neural Comput."}},
	},
	{
		Label: "materials science", Slug: "mat", Dept: "Materials Science and Engineering",
		Nouns:    []string{"grain boundary migration", "phase stability", "thermal conductivity", "ionic transport", "defect chemistry", "fracture toughness", "catalytic activity", "band gap engineering", "thin film growth", "corrosion resistance", "perovskite stability", "dislocation dynamics", "magnetic anisotropy", "polymer crystallinity", "lithium diffusion"},
		Adjs:     []string{"nanostructured", "two-dimensional", "high-entropy", "amorphous", "epitaxial", "porous", "ferroelectric", "metastable", "solid-state", "hierarchical"},
		Methods:  []string{"density functional theory", "transmission electron microscopy", "X-ray diffraction", "molecular dynamics simulations", "atomic force microscopy", "in situ Raman spectroscopy", "high-throughput screening", "atom probe tomography"},
		Contexts: []string{"halide perovskites", "nickel superalloys", "graphene heterostructures", "solid electrolytes", "metal-organic frameworks", "oxide thin films", "additively manufactured steels", "polymer composites"},
		Units:    []string{"samples", "compositions", "films", "simulations", "specimens"},
		Keywords: []string{"perovskites", "DFT", "thin films", "batteries", "catalysis", "microstructure", "alloys", "2D materials", "polymers", "electron microscopy", "defects", "thermal transport"},
		Venues:   []venue{{"Acta Materialia", "Acta Mater."}, {"Advanced Materials", "Adv. Mater."}, {"Physical Review Materials", "Phys. Rev. Mater."}, {"Nature Materials", "Nat. Mater."}, {"Chemistry of Materials", "Chem. Mater."}, {"Journal of Materials Chemistry A", "J. Mater. Chem. A"}},
	},
	{
		Label: "epidemiology", Slug: "epi", Dept: "Epidemiology and Public Health",
		Nouns:    []string{"vaccine effectiveness", "transmission dynamics", "all-cause mortality", "antimicrobial resistance", "cardiovascular risk", "disease incidence", "health inequalities", "hospital admissions", "household transmission", "seroprevalence", "screening uptake", "air pollution exposure", "maternal outcomes", "obesity prevalence", "infection fatality"},
		Adjs:     []string{"population-based", "prospective", "retrospective", "nationwide", "age-stratified", "longitudinal", "cross-sectional", "community-level", "socioeconomic", "regional"},
		Methods:  []string{"Cox proportional hazards models", "test-negative designs", "compartmental models", "Mendelian randomisation", "propensity score matching", "interrupted time series analysis", "multilevel regression", "cluster randomised trials"},
		Contexts: []string{"a Danish registry cohort", "primary care records", "low-income countries", "older adults", "school-aged children", "pregnant women", "urban populations", "healthcare workers"},
		Units:    []string{"participants", "patients", "households", "person-years", "districts"},
		Keywords: []string{"cohort study", "vaccination", "public health", "mortality", "infectious disease", "risk factors", "COVID-19", "antimicrobial resistance", "surveillance", "health equity", "meta-analysis", "incidence"},
		Venues:   []venue{{"American Journal of Epidemiology", "Am. J. Epidemiol."}, {"International Journal of Epidemiology", "Int. J. Epidemiol."}, {"The Lancet Public Health", "Lancet Public Health"}, {"Epidemiology", "Epidemiology"}, {"BMJ Open", "BMJ Open"}, {"Emerging Infectious Diseases", "Emerg. Infect. Dis."}},
	},
	{
		Label: "astrophysics", Slug: "astro", Dept: "Physics and Astronomy",
		Nouns:    []string{"galaxy formation", "dark matter haloes", "stellar feedback", "exoplanet atmospheres", "gravitational waves", "cosmic reionisation", "accretion discs", "supernova remnants", "star formation rates", "black hole spin", "cosmic shear", "magnetic reconnection", "planetary migration", "stellar populations", "fast radio bursts"},
		Adjs:     []string{"high-redshift", "relativistic", "magnetised", "low-mass", "dwarf", "circumstellar", "galactic", "cosmological", "transient", "interstellar"},
		Methods:  []string{"N-body simulations", "radial velocity surveys", "weak lensing analysis", "radiative transfer modelling", "spectroscopic follow-up", "interferometric imaging", "Markov chain Monte Carlo sampling", "transit photometry"},
		Contexts: []string{"the Milky Way halo", "nearby dwarf galaxies", "the Kepler field", "galaxy clusters", "protoplanetary discs", "binary neutron star mergers", "the cosmic web", "active galactic nuclei"},
		Units:    []string{"galaxies", "stars", "sources", "epochs", "simulations"},
		Keywords: []string{"cosmology", "galaxies", "exoplanets", "dark matter", "star formation", "black holes", "gravitational waves", "spectroscopy", "surveys", "stellar evolution", "accretion", "simulations"},
		Venues:   []venue{{"The Astrophysical Journal", "Astrophys. J."}, {"Monthly Notices of the Royal Astronomical Society", "Mon. Not. R. Astron. Soc."}, {"Astronomy and Astrophysics", "Astron. Astrophys."}, {"The Astronomical Journal", "Astron. J."}, {"Physical Review D", "Phys. Rev. D"}, {"Nature Astronomy", "Nat. Astron."}},
	},
	{
		Label: "economics", Slug: "econ", Dept: "Economics",
		Nouns:    []string{"labour supply", "monetary policy transmission", "income inequality", "trade liberalisation", "household consumption", "minimum wage effects", "firm productivity", "housing prices", "credit constraints", "intergenerational mobility", "tax compliance", "market concentration", "inflation expectations", "migration flows", "public debt"},
		Adjs:     []string{"heterogeneous", "dynamic", "general-equilibrium", "empirical", "structural", "long-run", "regional", "behavioural", "quasi-experimental", "macroeconomic"},
		Methods:  []string{"difference-in-differences designs", "instrumental variables", "regression discontinuity", "structural estimation", "vector autoregressions", "randomised field experiments", "synthetic control methods", "dynamic stochastic models"},
		Contexts: []string{"US counties", "European labour markets", "emerging economies", "administrative tax records", "rural India", "manufacturing firms", "the euro area", "online marketplaces"},
		Units:    []string{"firms", "households", "workers", "counties", "quarters"},
		Keywords: []string{"labour economics", "macroeconomics", "inequality", "monetary policy", "trade", "productivity", "public finance", "development", "causal inference", "housing", "migration", "econometrics"},
		Venues:   []venue{{"American Economic Review", "Am. Econ. Rev."}, {"Quarterly Journal of Economics", "Q. J. Econ."}, {"Journal of Political Economy", "J. Polit. Econ."}, {"Review of Economic Studies", "Rev. Econ. Stud."}, {"Econometrica", "Econometrica"}, {"Journal of Public Economics", "J. Public Econ."}},
	},
}

// Generic scientific verbs and connectors shared across domains.
var (
	verbsPast   = []string{"characterised", "quantified", "measured", "modelled", "examined", "estimated", "compared", "mapped", "investigated", "evaluated"}
	verbsBase   = []string{"reveal", "predict", "constrain", "explain", "modulate", "shape", "limit", "drive"}
	adjsGeneric = []string{"robust", "consistent", "substantial", "modest", "significant", "systematic", "unexpected", "strong", "weak", "marked"}
	adverbs     = []string{"robustly", "consistently", "substantially", "modestly", "significantly", "systematically", "unexpectedly", "strongly", "weakly", "markedly"}
	hedges      = []string{"Taken together,", "Importantly,", "In addition,", "However,", "Consistent with this,", "By contrast,", "Notably,", "Moreover,"}
)

type nameOrigin struct {
	Given  []string
	Family []string
}

// Name pools grouped by origin so given and family names pair plausibly. A few contain
// characters outside Latin-1 (Ł, ś, ř, ş, ğ) on purpose: extractors and resolvers must
// cope with them, and the PDF writer has to transliterate them.
var nameOrigins = []nameOrigin{
	{Given: []string{"Christopher", "William", "Elizabeth", "Margaret", "Robert", "Jennifer", "Michael", "Katherine", "Thomas", "Rebecca", "Daniel", "Jonathan", "Samuel", "Alexander", "Nicholas", "Patricia", "Benjamin", "Victoria", "Matthew", "Susan"},
		Family: []string{"Smith", "Johnson", "Williams", "Brown", "Taylor", "Anderson", "Clarke", "Walker", "Wright", "Thompson", "Robinson", "Hughes", "Edwards", "O'Brien", "Murphy", "Campbell", "Stewart", "Mitchell", "Bennett", "Harris"}},
	{Given: []string{"José", "María", "Alejandro", "Lucía", "Javier", "Carmen", "Andrés", "Sofía", "Pablo", "Inés"},
		Family: []string{"García", "Martínez", "Rodríguez", "López", "Hernández", "Sánchez", "Pérez", "Gómez", "Díaz", "Muñoz"}},
	{Given: []string{"Jürgen", "Katrin", "Matthias", "Anja", "Stefan", "Sabine", "Andreas", "Julia", "Tobias", "Franziska"},
		Family: []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Schäfer", "Köhler", "Wagner"}},
	{Given: []string{"François", "Élodie", "Antoine", "Camille", "Étienne", "Chloé", "Julien", "Amélie", "Mathieu", "Léa"},
		Family: []string{"Dubois", "Lefèvre", "Moreau", "Girard", "Rousseau", "Fontaine", "Chevalier", "Lambert", "Bonnet", "Mercier"}},
	{Given: []string{"Wei", "Li", "Jing", "Xiaoming", "Hui", "Yan", "Jun", "Mei", "Hao", "Ying"},
		Family: []string{"Wang", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu"}},
	{Given: []string{"Hiroshi", "Yuki", "Takashi", "Akiko", "Kenji", "Naoko", "Satoshi", "Emi"},
		Family: []string{"Tanaka", "Suzuki", "Takahashi", "Watanabe", "Yamamoto", "Nakamura", "Kobayashi", "Sato"}},
	{Given: []string{"Priya", "Rahul", "Ananya", "Vikram", "Deepa", "Arjun", "Kavita", "Sanjay"},
		Family: []string{"Patel", "Sharma", "Gupta", "Iyer", "Reddy", "Nair", "Singh", "Krishnan"}},
	{Given: []string{"Łukasz", "Agnieszka", "Krzysztof", "Małgorzata", "Tomasz", "Katarzyna"},
		Family: []string{"Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski"}},
	{Given: []string{"Mehmet", "Ayşe", "Emre", "Zeynep", "Burak", "Elif"},
		Family: []string{"Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Doğan"}},
	{Given: []string{"Lars", "Ingrid", "Øyvind", "Astrid", "Mikael", "Sigrid"},
		Family: []string{"Andersen", "Johansson", "Nielsen", "Lindqvist", "Håkansson", "Bjørnstad"}},
	{Given: []string{"Jiří", "Petra", "Tomáš", "Eva"},
		Family: []string{"Dvořák", "Novák", "Svoboda", "Procházka"}},
}

// Common English nicknames: they are the hardest realistic variant for a resolver,
// since neither initials nor edit distance connect "Bill" to "William".
var nicknames = map[string]string{
	"Christopher": "Chris", "William": "Bill", "Elizabeth": "Liz", "Margaret": "Maggie",
	"Robert": "Bob", "Jennifer": "Jen", "Michael": "Mike", "Katherine": "Kate",
	"Thomas": "Tom", "Rebecca": "Becky", "Daniel": "Dan", "Jonathan": "Jon",
	"Samuel": "Sam", "Alexander": "Alex", "Nicholas": "Nick", "Patricia": "Pat",
	"Benjamin": "Ben", "Victoria": "Vicky", "Matthew": "Matt", "Susan": "Sue",
	"Alejandro": "Alex", "Andreas": "Andi", "Tobias": "Tobi", "Franziska": "Franzi",
}

type place struct{ City, Country string }

var places = []place{
	{"Oxford", "United Kingdom"}, {"Cambridge", "United Kingdom"}, {"Edinburgh", "United Kingdom"}, {"Manchester", "United Kingdom"},
	{"Bristol", "United Kingdom"}, {"Leeds", "United Kingdom"}, {"Dublin", "Ireland"}, {"Lyon", "France"},
	{"Grenoble", "France"}, {"Toulouse", "France"}, {"Heidelberg", "Germany"}, {"Göttingen", "Germany"},
	{"Freiburg", "Germany"}, {"Munich", "Germany"}, {"Hamburg", "Germany"}, {"Zurich", "Switzerland"},
	{"Basel", "Switzerland"}, {"Vienna", "Austria"}, {"Utrecht", "Netherlands"}, {"Leiden", "Netherlands"},
	{"Copenhagen", "Denmark"}, {"Aarhus", "Denmark"}, {"Uppsala", "Sweden"}, {"Lund", "Sweden"},
	{"Oslo", "Norway"}, {"Helsinki", "Finland"}, {"Barcelona", "Spain"}, {"Madrid", "Spain"},
	{"Bologna", "Italy"}, {"Padua", "Italy"}, {"Kraków", "Poland"}, {"Warsaw", "Poland"},
	{"Prague", "Czech Republic"}, {"Toronto", "Canada"}, {"Montréal", "Canada"}, {"Vancouver", "Canada"},
	{"Boston", "USA"}, {"Chicago", "USA"}, {"Seattle", "USA"}, {"Austin", "USA"},
	{"Michigan", "USA"}, {"Wisconsin", "USA"}, {"Colorado", "USA"}, {"Arizona", "USA"},
	{"Tokyo", "Japan"}, {"Kyoto", "Japan"}, {"Osaka", "Japan"}, {"Beijing", "China"},
	{"Shanghai", "China"}, {"Hong Kong", "China"}, {"Singapore", "Singapore"}, {"Seoul", "South Korea"},
	{"Bangalore", "India"}, {"Mumbai", "India"}, {"Melbourne", "Australia"}, {"Sydney", "Australia"},
	{"Auckland", "New Zealand"}, {"Cape Town", "South Africa"}, {"São Paulo", "Brazil"}, {"Istanbul", "Turkey"},
}

// Organisation name templates; %s is the place. The short form is what careless
// bylines write, and is one of the affiliation variants the resolver must merge.
var orgTemplates = []struct{ Long, Short string }{
	{"University of %s", "Univ. of %s"},
	{"%s Institute of Technology", "%s Inst. of Tech."},
	{"%s Medical Research Institute", "%s Med. Res. Inst."},
	{"National Laboratory of %s", "Natl. Lab. of %s"},
	{"%s School of Advanced Studies", "%s Sch. of Adv. Stud."},
	{"Centre for Research %s", "Ctr. for Res. %s"},
	{"%s University Hospital", "%s Univ. Hosp."},
	{"Polytechnic University of %s", "Polytech. Univ. of %s"},
}

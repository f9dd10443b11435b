// Layers of src/ (docs/architecture.md): a folder may import only from folders on lower levels
// (and from itself). `npm run lint` runs this with dependency-cruiser; an upward or sideways
// import, or an import cycle, fails it.
const LEVELS = [
  ['core'],
  ['wire', 'tokens', 'storage'],
  ['providers'],
  ['cost'],
  ['config'],
  ['routing'],
  ['cache', 'promptcache', 'emulator', 'projection', 'governance', 'telemetry', 'advisor'],
  ['pipeline'],
  ['batch'],
  ['server'],
  ['replay'],
  ['cli'],
];

const layerRules = LEVELS.flatMap((folders, level) => {
  const notBelow = LEVELS.slice(level).flat();
  return folders.map((folder) => ({
    name: `layer-${folder}`,
    comment: `src/${folder} (level ${level}) may import only from lower levels: ${LEVELS.slice(0, level).flat().join(', ') || 'none'}`,
    severity: 'error',
    from: { path: `^src/${folder}/` },
    to: { path: `^src/(${notBelow.filter((f) => f !== folder).join('|')})/` },
  }));
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-unknown-folder',
      comment: 'every folder of src/ has a level in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/', pathNot: `^src/(${LEVELS.flat().join('|')})/` },
    },
    {
      name: 'no-circular',
      comment: 'modules import each other in a cycle at run time (cycles of type-only imports are allowed)',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'src-not-to-tests',
      comment: 'production code does not import tests or benchmarks',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
